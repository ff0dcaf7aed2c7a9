// A finding's C reproducer (harness/repro) with the catalogue's wording of
// its assertion IDs: what `aiospec repro` prints and `aiospec report` files
// next to each finding.
//
// Usage:
//   absl::StatusOr<std::string> c = ReproducerFor(judgement);
//   // kFailedPrecondition: nothing to reproduce (the trace passed);
//   // kUnimplemented: the emitter cannot write this trace yet.
//   absl::Status s = FileReproducers("aiospec-report", report);
//   // report.findings lists every finding; OUT/repro/TARGET/TRACE.c holds
//   // each reproducer, the others carry the emitter's one-line reason.
#ifndef AIOSPEC_HARNESS_CLI_REPRODUCER_H_
#define AIOSPEC_HARNESS_CLI_REPRODUCER_H_

#include <string>

#include "absl/status/statusor.h"
#include "harness/cli/judge.h"
#include "harness/cli/report.h"

namespace aiospec {

absl::StatusOr<std::string> ReproducerFor(const Judgement& j);

// Sets report.findings (CollectFindings) and writes each finding's
// reproducer under out_dir; a finding the emitter cannot write gets its
// reason instead. Errors: a file or directory that cannot be written.
absl::Status FileReproducers(const std::string& out_dir, Report& report);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_REPRODUCER_H_
