#include "fuzz/mutator.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "fuzz/guardrails.h"
#include "gtest/gtest.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds;
  for (const auto& entry :
       std::filesystem::directory_iterator(AIOSPEC_CONFORMANCE_TRACES)) {
    if (entry.path().extension() != ".trace") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    seeds.push_back(text.str());
  }
  return seeds;
}

void ExpectRunnableText(const std::string& text, size_t max_bytes) {
  ASSERT_LE(text.size(), max_bytes);
  absl::StatusOr<Trace> t = ParseTrace(text, "mutant");
  ASSERT_TRUE(t.ok()) << t.status() << "\n" << text;
  EXPECT_TRUE(CheckRunnable(*t).ok()) << CheckRunnable(*t) << "\n" << text;
}

// Chains of mutations from the seeds and from garbage always give runnable
// text, and do change it.
TEST(MutatorTest, ChainsStayRunnableAndChange) {
  const std::vector<std::string> seeds = Seeds();
  ASSERT_FALSE(seeds.empty());
  MutatorOptions options;
  std::mt19937_64 rng(7);
  int changed = 0, total = 0;
  std::set<std::string> distinct;
  for (size_t s = 0; s < seeds.size(); ++s) {
    std::string text = seeds[s];
    for (int step = 0; step < 40; ++step) {
      std::string next = MutateTraceText(text, rng, options);
      ExpectRunnableText(next, options.max_text_bytes);
      if (HasFailure()) return;
      changed += next != text;
      ++total;
      distinct.insert(next);
      text = next;
    }
  }
  EXPECT_GT(changed, total * 2 / 3);
  EXPECT_GT(distinct.size(), static_cast<size_t>(total / 2));
}

TEST(MutatorTest, GarbageBecomesARandomRunnableTrace) {
  MutatorOptions options;
  std::mt19937_64 rng(1);
  for (const char* garbage : {"", "aiospec-trace 2\n", "\xff\xfe", "wait x"}) {
    ExpectRunnableText(MutateTraceText(garbage, rng, options),
                       options.max_text_bytes);
  }
}

TEST(MutatorTest, RespectsTheSizeLimit) {
  MutatorOptions options;
  options.max_text_bytes = 200;
  std::mt19937_64 rng(3);
  for (const std::string& seed : Seeds()) {
    for (int i = 0; i < 10; ++i) {
      ExpectRunnableText(MutateTraceText(seed, rng, options), 200);
    }
  }
}

// Cross-over joins handles by name: the child of two traces that both
// call their descriptor `d` uses one `d`, not `d` and `d_1`.
TEST(MutatorTest, CrossOverJoinsHandlesByName) {
  const std::string a =
      "aiospec-trace 1\nfile f content=\"abc\"\nopen d f flags=rdwr\n"
      "aio_read r fd=d offset=0 nbytes=3\n";
  const std::string b =
      "aiospec-trace 1\nfile f content=\"abc\"\nopen d f flags=rdwr\n"
      "aio_write w fd=d offset=1 data=\"zz\"\nwait w timeout=10ms\n"
      "aio_return w\n";
  MutatorOptions options;
  std::mt19937_64 rng(11);
  bool saw_both = false;
  for (int i = 0; i < 200; ++i) {
    const std::string child = CrossOverTraceText(a, b, rng, options);
    ExpectRunnableText(child, options.max_text_bytes);
    EXPECT_FALSE(absl::StrContains(child, "d_1")) << child;
    saw_both |= absl::StrContains(child, "aio_read r fd=d") &&
                absl::StrContains(child, "aio_write w fd=d");
  }
  EXPECT_TRUE(saw_both);
}

}  // namespace
}  // namespace aiospec
