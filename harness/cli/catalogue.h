// The requirement catalogue as `aiospec explain` shows it: one assertion's
// text, level and check kind (spec/ASSERTIONS.md), the model rules and status
// from SPEC_NOTES.md, and the conformance traces whose `covers` line names it.
//
// The data files are found in a *data directory* laid out like the source
// tree (spec/ASSERTIONS.md, SPEC_NOTES.md, conformance/traces): the first of
// $AIOSPEC_DATA_DIR, <exe dir>/../share/aiospec (an installed copy) and the
// source tree baked in at build time that holds spec/ASSERTIONS.md.
//
// Usage:
//   absl::StatusOr<std::string> dir = FindDataDir();
//   absl::StatusOr<Catalogue> c = LoadCatalogue(*dir);
//   if (const CatalogueEntry* e = c->Find("AIO-CANCEL-03")) ...
//   std::vector<std::string> near = c->Nearest("AIO-CANCEL-3", 3);
#ifndef AIOSPEC_HARNESS_CLI_CATALOGUE_H_
#define AIOSPEC_HARNESS_CLI_CATALOGUE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace aiospec {

struct CatalogueEntry {
  std::string id;       // "AIO-CANCEL-03"
  std::string section;  // "9. aio_cancel() (AIO-CANCEL)"
  std::string level;    // "SHALL"
  std::string check;    // "B,N"
  std::string text;     // the assertion's sentence(s), Markdown as written
  // From SPEC_NOTES.md's row, empty when the ID has none.
  std::string model_rules;
  std::string notes_tests;
  std::string status;
  // Conformance traces (names without .trace) whose covers line names the ID.
  std::vector<std::string> traces;
};

struct Catalogue {
  std::map<std::string, CatalogueEntry> entries;  // by ID

  const CatalogueEntry* Find(std::string_view id) const;
  // Up to `n` IDs closest to `id` (edit distance, same family first).
  std::vector<std::string> Nearest(std::string_view id, size_t n) const;
};

// Whether the issue requires a test of it: a level of SHALL, SHALL-FAIL,
// EITHER, DERIVED or MAY-FAIL (alone or qualified, "SHALL (cond.)") and a
// check that is not X. The same rule as ci/check_spec_notes.py.
bool IsRequired(const CatalogueEntry& e);
// The IDs of the catalogue's required assertions, sorted.
std::vector<std::string> RequiredIds(const Catalogue& c);

// The data directory, or kNotFound naming the places searched.
absl::StatusOr<std::string> FindDataDir();

// Parses the three sources; only spec/ASSERTIONS.md is required.
absl::StatusOr<Catalogue> LoadCatalogue(const std::string& data_dir);

// The parsers, exposed for tests.
void ParseAssertions(std::string_view markdown, Catalogue& out);
void ParseSpecNotes(std::string_view markdown, Catalogue& out);

// "AIO-CANCEL-03: text..." with level, check, rules, traces; for the terminal.
std::string FormatEntry(const CatalogueEntry& e);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_CATALOGUE_H_
