// A target that runs an agent binary as a child process (subprocess.h).
//
// Runs `AGENT --work-dir DIR` with DIR a fresh directory (removed after the
// run, however it ended), sends EncodeWire(trace) on the agent's stdin, reads
// the log from its stdout, and turns the way the agent ended into the log's
// RunEnd:
//   watchdog expired        -> kHung, hung_at = K of the last `# begin K`
//   killed by a signal      -> kCrashed, crash_signal = that signal
//   exit 0 without `end`    -> kCrashed, crash_signal = 0 (output cut short)
//   exit != 0 without `end` -> error status with the agent's `# error:` line
//                              and the tail of its stderr
//   output that is no log   -> error status
//
// Usage:
//   absl::StatusOr<std::string> bin = FindAgentBinary("aiospec-agent-musl");
//   AgentTarget musl("musl", *bin);
//   absl::StatusOr<ObservationLog> log = musl.Run(trace, RunOptions{});
#ifndef AIOSPEC_HARNESS_TARGET_AGENT_TARGET_H_
#define AIOSPEC_HARNESS_TARGET_AGENT_TARGET_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/target/target.h"

namespace aiospec {

class AgentTarget : public Target {
 public:
  // `env_overrides`: "NAME=VALUE" entries for the agent's environment, e.g.
  // LD_PRELOAD of the drop-in library for the bundled-preload target.
  // `launcher`: argv words put before the agent's path, e.g. {"qemu-aarch64"}
  // to run a foreign-architecture agent under qemu-user (cross_target.h).
  AgentTarget(std::string name, std::string binary_path,
              std::vector<std::string> env_overrides = {},
              std::vector<std::string> launcher = {})
      : name_(std::move(name)),
        binary_path_(std::move(binary_path)),
        env_overrides_(std::move(env_overrides)),
        launcher_(std::move(launcher)) {}
  const std::string& name() const override { return name_; }
  const std::string& binary_path() const { return binary_path_; }
  absl::StatusOr<ObservationLog> Run(const Trace& trace,
                                     const RunOptions& options) override;
  bool OutOfProcess() const override { return true; }

 private:
  std::string name_;
  std::string binary_path_;
  std::vector<std::string> env_overrides_;
  std::vector<std::string> launcher_;
};

// The agent binary `file_name`, looked up next to the running executable
// (/proc/self/exe), then in $AIOSPEC_AGENT_DIR. kNotFound when in neither.
absl::StatusOr<std::string> FindAgentBinary(std::string_view file_name);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_AGENT_TARGET_H_
