// cross:ARCH targets: the agent built statically against another
// architecture's glibc by the Debian cross compiler, run under qemu-user.
//
// The agent bin/aiospec-agent-ARCH is built by cross/CMakeLists.txt when
// ARCH-linux-gnu-gcc is found; the emulator is qemu-ARCH (package qemu-user)
// or qemu-ARCH-static (qemu-user-static), looked up in $PATH. On a host of
// that architecture the agent runs directly. The agent prints errno names,
// not numbers, so its log is judged on the host whatever the target's errno
// numbering.
//
// Usage:
//   absl::StatusOr<std::unique_ptr<Target>> t = MakeCrossTarget("aarch64");
//   if (!t.ok()) return t.status();  // "...: install gcc-aarch64-linux-gnu"
//   absl::StatusOr<ObservationLog> log = (*t)->Run(trace, RunOptions{});
#ifndef AIOSPEC_HARNESS_TARGET_CROSS_TARGET_H_
#define AIOSPEC_HARNESS_TARGET_CROSS_TARGET_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "harness/target/target.h"

namespace aiospec {

inline constexpr char kCrossPrefix[] = "cross:";

// The architectures cross:ARCH knows: "aarch64", "riscv64".
std::vector<std::string> CrossArchitectures();

// `arch` is the part after "cross:". Errors: kNotFound for an unknown
// architecture; kFailedPrecondition when the agent was not built or no
// emulator is installed, with a one-line reason naming the Debian package.
absl::StatusOr<std::unique_ptr<Target>> MakeCrossTarget(std::string_view arch);

// The emulator for `arch`: qemu-ARCH, else qemu-ARCH-static, from $PATH.
// kNotFound when neither is there.
absl::StatusOr<std::string> FindQemuUser(std::string_view arch);

// What agent:PATH puts before the agent: {qemu-ARCH} when PATH is a 64-bit
// ELF of a cross:ARCH architecture other than the host's (so no binfmt_misc
// registration is needed), {} for anything else (the kernel runs it, or
// refuses). kFailedPrecondition when it needs qemu and none is installed.
absl::StatusOr<std::vector<std::string>> LauncherFor(const std::string& path);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_CROSS_TARGET_H_
