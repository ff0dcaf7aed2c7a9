#include "harness/target/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

namespace aiospec {

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = getenv("TMPDIR");
  std::string templ = tmp && *tmp ? tmp : "/tmp";
  templ += "/";
  templ += prefix;
  templ += ".XXXXXX";
  if (mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;  // best effort: nothing useful to do on failure
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace aiospec
