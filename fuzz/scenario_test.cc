#include "fuzz/scenario.h"

#include <algorithm>
#include <random>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "fuzz/guardrails.h"
#include "gtest/gtest.h"
#include "harness/trace/trace_parser.h"

namespace aiospec {
namespace {

int Submissions(const Trace& t) {
  int n = 0;
  for (const Op& op : t.ops) {
    n += std::holds_alternative<AioRead>(op.body) ||
         std::holds_alternative<AioWrite>(op.body) ||
         std::holds_alternative<AioFsync>(op.body) ||
         std::holds_alternative<LioListio>(op.body);
  }
  return n;
}

TEST(ScenarioTest, TextAlwaysParses) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    const std::string text = ScenarioText(rng);
    absl::StatusOr<Trace> t = ParseTrace(text, "scenario");
    ASSERT_TRUE(t.ok()) << t.status() << "\n" << text;
  }
}

// The guardrails repair a scenario only at the edges: most keep the
// requests they were built around, and every one is runnable.
TEST(ScenarioTest, RunnableAndMostlyKeptByTheGuardrails) {
  std::mt19937_64 rng(2);
  int kept = 0, with_two = 0;
  constexpr int kScenarios = 2000;
  for (int i = 0; i < kScenarios; ++i) {
    std::mt19937_64 copy = rng;
    absl::StatusOr<Trace> raw = ParseTrace(ScenarioText(copy), "scenario");
    ASSERT_TRUE(raw.ok());
    const Trace t = ScenarioTrace(rng, GuardrailOptions{});
    ASSERT_TRUE(CheckRunnable(t).ok()) << CheckRunnable(t);
    kept += Submissions(t) == Submissions(*raw);
    with_two += Submissions(t) >= 2;
  }
  EXPECT_GT(kept, kScenarios * 8 / 10);
  EXPECT_GT(with_two, kScenarios / 2);
}

// Out of process, some endings run under a signal storm or fork, some
// children submit and exit, and every scenario stays runnable there.
TEST(ScenarioTest, OutOfProcessEndingsRunUnderStorms) {
  std::mt19937_64 rng(3);
  GuardrailOptions options;
  options.out_of_process = true;
  int storms = 0, forks = 0, children = 0;
  constexpr int kScenarios = 1000;
  for (int i = 0; i < kScenarios; ++i) {
    const Trace t = ScenarioTrace(rng, options);
    ASSERT_TRUE(CheckRunnable(t, options).ok()) << CheckRunnable(t, options);
    auto has = [&](auto pred) { return std::any_of(t.ops.begin(), t.ops.end(), pred); };
    storms += has([](const Op& op) {
      const auto* s = std::get_if<Storm>(&op.body);
      return s != nullptr && s->on;
    });
    forks += has([](const Op& op) {
      const auto* p = std::get_if<Proc>(&op.body);
      return p != nullptr && p->kind == ProcKind::kFork;
    });
    children += has([](const Op& op) {
      const auto* p = std::get_if<Proc>(&op.body);
      return p != nullptr && (p->kind == ProcKind::kExit || p->kind == ProcKind::kExec);
    });
  }
  EXPECT_GT(storms, kScenarios / 5);
  EXPECT_GT(forks, kScenarios / 10);
  EXPECT_GT(children, kScenarios / 20);
}

}  // namespace
}  // namespace aiospec
