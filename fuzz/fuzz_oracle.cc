#include "fuzz/fuzz_oracle.h"

#include <sched.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "fuzz/guardrails.h"
#include "fuzz/shrink.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

// FNV-1a, stable across runs (std::hash need not be).
uint64_t Hash(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string RetClass(int64_t ret) {
  if (ret < 0) return absl::StrCat(ret);
  if (ret <= 16) return absl::StrCat(ret);
  int bits = 0;
  while (ret > 1) {
    ret >>= 1;
    ++bits;
  }
  return absl::StrCat("2^", bits);
}

void MakeDirs(const std::string& path) {
  std::string prefix;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      mkdir(path.substr(0, i).c_str(), 0755);
    }
  }
}

std::string FileName(const std::string& signature) {
  std::string out;
  for (char c : signature) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  }
  return out.substr(0, 120);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

void PreferMemoryTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  if ((tmp == nullptr || *tmp == '\0') && access("/dev/shm", W_OK) == 0) {
    setenv("TMPDIR", "/dev/shm", /*overwrite=*/0);
  }
}

int PinToOneCpu() {
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
  const int start = std::max(sched_getcpu(), 0);
  for (int k = 0; k < CPU_SETSIZE; ++k) {
    const int cpu = (start + k) % CPU_SETSIZE;
    if (!CPU_ISSET(cpu, &allowed)) continue;
    // The claim: a lock held as long as this process lives (the descriptor
    // is never closed; O_CLOEXEC keeps it from children that exec).
    // /tmp whatever $TMPDIR says, so every process looks at the same claims.
    const std::string path = absl::StrCat("/tmp/aiospec-cpu-", cpu, ".lock");
    const int fd = open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd);
      continue;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) == 0) return cpu;
    close(fd);
    return -1;
  }
  return -1;
}

OracleConfig OracleConfig::FromEnv() {
  OracleConfig c;
  if (const char* p = std::getenv("AIOSPEC_FUZZ_PROFILE")) {
    std::optional<Profile> profile = ProfileFromName(p);
    if (profile.has_value()) {
      c.profile = *profile;
    } else {
      std::fprintf(stderr, "AIOSPEC_FUZZ_PROFILE=%s unknown; using qoi\n", p);
    }
  }
  if (const char* d = std::getenv("AIOSPEC_FUZZ_FINDINGS"); d && *d) {
    c.findings_dir = d;
  }
  if (const char* t = std::getenv("AIOSPEC_FUZZ_SHRINK_SECONDS"); t && *t) {
    c.shrink_seconds = std::max(0, std::atoi(t));
  }
  return c;
}

std::string FailureSignature(const CheckResult& result) {
  std::vector<std::string> ids;
  if (result.failure.has_value()) ids = result.failure->assertion_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out = VerdictName(result.verdict);
  if (!ids.empty()) absl::StrAppend(&out, " ", absl::StrJoin(ids, " "));
  return out;
}

Judged Oracle::RunAndJudge(Target& target, const Trace& trace) const {
  Judged j;
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<ObservationLog> log = target.Run(trace, RunOptions{});
  const auto t1 = std::chrono::steady_clock::now();
  j.run_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0)
                 .count();
  auto checked = [&] {
    j.check_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now() - t1)
                     .count();
  };
  if (!log.ok()) {
    j.outcome = Judged::Outcome::kRunError;
    j.error = std::string(log.status().message());
    return j;
  }
  j.log = *std::move(log);
  absl::Status pre = CheckRunPreconditions(trace, j.log);
  if (!pre.ok()) {
    j.outcome = Judged::Outcome::kPrecondition;
    j.error = std::string(pre.message());
    checked();
    return j;
  }
  CheckOptions options;
  options.profile = config_.profile;
  j.result = CheckLog(trace, j.log, options);
  checked();
  return j;
}

void Oracle::AddFeatures(const std::string& salt, const Trace& trace,
                         const Judged& judged, uint8_t* counters, size_t n) {
  if (n == 0) return;
  auto set = [&](const std::string& feature) {
    counters[Hash(feature, Hash(salt)) % n] = 1;
  };
  if (judged.outcome != Judged::Outcome::kJudged) {
    set(judged.outcome == Judged::Outcome::kRunError ? "run-error"
                                                     : "precondition");
    return;
  }
  std::string prev = "start";
  for (const StepObservation& step : judged.log.steps) {
    if (step.op_index < 0 ||
        step.op_index >= static_cast<int>(trace.ops.size())) {
      continue;
    }
    std::string cls = absl::StrCat(OpName(trace.ops[step.op_index].body), ":",
                                   RetClass(step.ret), ":",
                                   ErrnoName(step.err));
    set(cls);
    set(absl::StrCat(prev, ">", cls));
    prev = std::move(cls);
  }
  for (const NotificationObservation& note : judged.log.notifications) {
    set(absl::StrCat("notify:", static_cast<int>(note.kind), ":", note.code,
                     ":", note.status_in_handler.value_or(-99)));
  }
  const CheckResult& r = judged.result;
  set(absl::StrCat("verdict:", FailureSignature(r)));
  for (const std::string& choice : r.choices) set(absl::StrCat("choice:", choice));
  if (r.failure.has_value()) {
    set(absl::StrCat("failure-at:",
                     r.failure->op_index >= 0 &&
                             r.failure->op_index <
                                 static_cast<int>(trace.ops.size())
                         ? OpName(trace.ops[r.failure->op_index].body)
                         : "?",
                     ":", r.failure->message));
  }
  set(absl::StrCat("states:", RetClass(static_cast<int64_t>(r.peak_states))));
}

std::string Oracle::RecordFinding(Target& target, const Trace& trace,
                                  const Judged& judged) {
  const std::string signature =
      judged.outcome == Judged::Outcome::kRunError
          ? std::string("RUN-ERROR")
          : FailureSignature(judged.result);
  const std::string dir =
      absl::StrCat(config_.findings_dir, "/", target.name());
  const std::string prefix = absl::StrCat(dir, "/", FileName(signature));
  if (!recorded_.insert(prefix).second || Exists(prefix + ".trace")) return "";
  MakeDirs(dir);

  // Shrink against the same target, bounded in runs and in time.
  Trace minimal = trace;
  ObservationLog minimal_log = judged.log;
  CheckResult minimal_result = judged.result;
  if (judged.outcome == Judged::Outcome::kJudged && config_.shrink_seconds > 0) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(config_.shrink_seconds);
    JudgeFn judge = [&](const Trace& t) -> std::string {
      if (std::chrono::steady_clock::now() > deadline) return "OUT-OF-TIME";
      Judged again = RunAndJudge(target, t);
      if (again.outcome != Judged::Outcome::kJudged) return "NOT-JUDGED";
      return FailureSignature(again.result);
    };
    ShrinkOptions options;
    options.guardrails.out_of_process = target.OutOfProcess();
    options.max_judgements = config_.shrink_judgements;
    ShrinkResult s = ShrinkTrace(trace, judge, options);
    if (s.signature == signature) {
      Judged last = RunAndJudge(target, s.trace);
      if (last.outcome == Judged::Outcome::kJudged &&
          FailureSignature(last.result) == signature) {
        minimal = s.trace;
        minimal_log = last.log;
        minimal_result = last.result;
      }
    }
  }
  WriteFile(prefix + ".trace", PrintTrace(minimal));
  WriteFile(prefix + ".log", PrintLog(minimal_log, minimal));
  std::string text = absl::StrCat(
      "target: ", target.name(), "\nprofile: ", ProfileName(config_.profile),
      "\nsignature: ", signature, "\n\n");
  if (judged.outcome == Judged::Outcome::kRunError) {
    absl::StrAppend(&text, "run error: ", judged.error, "\n");
  } else {
    absl::StrAppend(&text, FormatResult(minimal_result, minimal));
  }
  absl::StrAppend(&text, "\n--- the input before shrinking ---\n",
                  PrintTrace(trace));
  WriteFile(prefix + ".txt", text);
  return prefix;
}

std::string Oracle::RecordNote(const std::string& kind, const std::string& key,
                               const std::string& text) {
  const std::string dir = absl::StrCat(config_.findings_dir, "/", kind);
  const std::string prefix =
      absl::StrCat(dir, "/", absl::Hex(Hash(key), absl::kZeroPad16));
  if (!recorded_.insert(prefix).second || Exists(prefix + ".txt")) return "";
  MakeDirs(dir);
  WriteFile(prefix + ".txt", text);
  return prefix;
}

}  // namespace aiospec
