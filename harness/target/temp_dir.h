// A fresh private directory under $TMPDIR (or /tmp), removed with all its
// content when the object goes out of scope.
//
// Targets give each run one, so files a run creates never outlive it, even
// when the agent that created them was killed by the watchdog.
//
// Usage:
//   TempDir dir("aiospec-run");
//   if (dir.path().empty()) return absl::InternalError("no work directory");
//   RunIn(dir.path());
#ifndef AIOSPEC_HARNESS_TARGET_TEMP_DIR_H_
#define AIOSPEC_HARNESS_TARGET_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace aiospec {

class TempDir {
 public:
  // `prefix` names the directory: $TMPDIR/<prefix>.XXXXXX. path() is empty
  // when mkdtemp failed.
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_TARGET_TEMP_DIR_H_
