// Exit codes of the aiospec command, one per kind of outcome, so a CI job or
// a script can tell a finding from a broken setup without parsing text.
// Documented for users in README.md ("Exit codes").
#ifndef AIOSPEC_HARNESS_CLI_EXIT_CODES_H_
#define AIOSPEC_HARNESS_CLI_EXIT_CODES_H_

#include <algorithm>
#include <initializer_list>

#include "model/checker.h"

namespace aiospec {

enum ExitCode : int {
  kExitPass = 0,            // every verdict PASS (or as the baseline expects)
  kExitFail = 1,            // a FAIL, or a verdict that differs from the baseline
  kExitUsage = 2,           // bad command line
  kExitBadInput = 3,        // malformed trace or log (message names file:line:col)
  kExitUnknownTarget = 4,   // no such target
  kExitTargetBroken = 5,    // target known but cannot run (agent/compiler missing)
  kExitHang = 6,            // the implementation hung (watchdog fired)
  kExitCrash = 7,           // the implementation crashed
  kExitUnresolved = 8,      // the model could not decide (state cap)
  kExitNotApplicable = 77,  // nothing applicable (UNSUPPORTED/UNTESTED only)
};

inline ExitCode ExitCodeFor(Verdict v) {
  switch (v) {
    case Verdict::kPass: return kExitPass;
    case Verdict::kFail: return kExitFail;
    case Verdict::kUnresolved: return kExitUnresolved;
    case Verdict::kUnsupported:
    case Verdict::kUntested: return kExitNotApplicable;
    case Verdict::kHang: return kExitHang;
    case Verdict::kCrash: return kExitCrash;
  }
  return kExitFail;
}

// Combines the codes of several outcomes: the most severe wins, and
// "not applicable" only when nothing else happened.
inline ExitCode WorstExit(ExitCode a, ExitCode b) {
  auto rank = [](ExitCode c) {
    switch (c) {
      case kExitPass: return 0;
      case kExitNotApplicable: return -1;
      case kExitUnresolved: return 1;
      case kExitFail: return 2;
      case kExitHang: return 3;
      case kExitCrash: return 4;
      case kExitTargetBroken: return 5;
      case kExitUnknownTarget: return 6;
      case kExitBadInput: return 7;
      case kExitUsage: return 8;
    }
    return 8;
  };
  if (a == kExitNotApplicable && b == kExitPass) return kExitPass;
  if (b == kExitNotApplicable && a == kExitPass) return kExitPass;
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_EXIT_CODES_H_
