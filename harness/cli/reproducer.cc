#include "harness/cli/reproducer.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "harness/cli/catalogue.h"
#include "harness/repro/repro.h"

namespace aiospec {

absl::StatusOr<std::string> ReproducerFor(const Judgement& j) {
  // Loaded once: a report asks for many reproducers. Without a data
  // directory the IDs are still named, without their text.
  static const Catalogue* catalogue = [] {
    auto* c = new Catalogue;
    if (absl::StatusOr<std::string> dir = FindDataDir(); dir.ok()) {
      if (absl::StatusOr<Catalogue> loaded = LoadCatalogue(*dir); loaded.ok()) {
        *c = *std::move(loaded);
      }
    }
    return c;
  }();
  ReproInput in;
  in.trace = &j.trace;
  in.trace_path = j.trace_path;
  in.target = j.target;
  in.log = &j.log;
  in.result = &j.result;
  if (j.result.failure.has_value()) {
    for (const std::string& id : j.result.failure->assertion_ids) {
      const CatalogueEntry* e = catalogue->Find(id);
      in.assertion_texts.push_back({id, e != nullptr ? e->text : ""});
    }
  }
  return EmitReproducer(in);
}

absl::Status FileReproducers(const std::string& out_dir, Report& report) {
  report.findings = CollectFindings(report);
  // The directory is the report's own: no stale reproducer of an earlier run.
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(out_dir) / "repro", ec);
  for (Finding& f : report.findings) {
    absl::StatusOr<std::string> c = ReproducerFor(report.results[f.result].judgement);
    if (!c.ok()) {
      f.reproducer_unavailable = std::string(c.status().message());
      f.reproducer.clear();
      continue;
    }
    const std::filesystem::path file = std::filesystem::path(out_dir) / f.reproducer;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat(file.parent_path().string(), ": ", ec.message()));
    }
    if (absl::Status s = WriteTextFile(file.string(), *c); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace aiospec
