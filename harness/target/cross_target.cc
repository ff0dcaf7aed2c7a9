#include "harness/target/cross_target.h"

#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "harness/target/agent_target.h"

namespace aiospec {
namespace {

struct CrossArch {
  const char* arch;         // after "cross:", and qemu-ARCH's suffix
  const char* gcc_package;  // Debian package of ARCH-linux-gnu-gcc
  uint16_t elf_machine;     // e_machine of its 64-bit ELF binaries
};
constexpr CrossArch kArches[] = {
    {"aarch64", "gcc-aarch64-linux-gnu", EM_AARCH64},
    {"riscv64", "gcc-riscv64-linux-gnu", EM_RISCV},
};

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         access(path.c_str(), X_OK) == 0;
}

// RunSubprocess does no $PATH search, so the emulator's path is resolved here.
std::string FindInPath(const std::string& file) {
  const char* path = getenv("PATH");
  if (path == nullptr) return "";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", file);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return "";
}

bool HostIs(std::string_view arch) {
  struct utsname u;
  return uname(&u) == 0 && arch == u.machine;
}

// {} on a host of `a`'s architecture, else {qemu-ARCH}.
absl::StatusOr<std::vector<std::string>> QemuLauncher(const CrossArch& a) {
  if (HostIs(a.arch)) return std::vector<std::string>{};
  absl::StatusOr<std::string> qemu = FindQemuUser(a.arch);
  if (!qemu.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        qemu.status().message(), " (install qemu-user or qemu-user-static)"));
  }
  return std::vector<std::string>{*std::move(qemu)};
}

}  // namespace

std::vector<std::string> CrossArchitectures() {
  std::vector<std::string> out;
  for (const CrossArch& a : kArches) out.push_back(a.arch);
  return out;
}

absl::StatusOr<std::string> FindQemuUser(std::string_view arch) {
  for (const char* suffix : {"", "-static"}) {
    std::string found =
        FindInPath(absl::StrCat("qemu-", std::string(arch), suffix));
    if (!found.empty()) return found;
  }
  return absl::NotFoundError(absl::StrCat("qemu-", std::string(arch),
                                          " not found in $PATH"));
}

absl::StatusOr<std::unique_ptr<Target>> MakeCrossTarget(std::string_view arch) {
  const std::string spec = absl::StrCat(kCrossPrefix, std::string(arch));
  const CrossArch* known = nullptr;
  for (const CrossArch& a : kArches) {
    if (arch == a.arch) known = &a;
  }
  if (known == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "unknown target '", spec, "' (cross: knows aarch64, riscv64)"));
  }
  const std::string binary = absl::StrCat("aiospec-agent-", known->arch);
  absl::StatusOr<std::string> agent = FindAgentBinary(binary);
  if (!agent.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "target ", spec, ": agent binary ", binary, " not built (install ",
        known->gcc_package, " and re-run cmake; see ci/bootstrap)"));
  }
  absl::StatusOr<std::vector<std::string>> launcher = QemuLauncher(*known);
  if (!launcher.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("target ", spec, ": ", launcher.status().message()));
  }
  return std::unique_ptr<Target>(
      new AgentTarget(spec, *std::move(agent), {}, *std::move(launcher)));
}

absl::StatusOr<std::vector<std::string>> LauncherFor(const std::string& path) {
  Elf64_Ehdr h;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::vector<std::string>{};
  const bool whole = read(fd, &h, sizeof h) == static_cast<ssize_t>(sizeof h);
  close(fd);
  if (whole && memcmp(h.e_ident, ELFMAG, SELFMAG) == 0 &&
      h.e_ident[EI_CLASS] == ELFCLASS64) {
    for (const CrossArch& a : kArches) {
      if (h.e_machine != a.elf_machine) continue;
      absl::StatusOr<std::vector<std::string>> launcher = QemuLauncher(a);
      if (!launcher.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "an ", a.arch, " binary: ", launcher.status().message()));
      }
      return launcher;
    }
  }
  return std::vector<std::string>{};
}

}  // namespace aiospec
