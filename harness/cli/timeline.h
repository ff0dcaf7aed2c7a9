// The timeline of a judged run's requests, for the HTML report: one row per
// aiocb of the trace, one column per step that touched a request, and in
// each cell what that step saw of it (its submission, aio_error, aio_suspend
// and wait results, aio_cancel, the close of its descriptor, aio_return, a
// notification), drawn from the observation log (Judgement::log) with the
// log's own words.
//
// Usage:
//   Timeline t = BuildTimeline(judgement);
//   html += RenderTimelineHtml(t);   // "" when the run touched no aiocb
#ifndef AIOSPEC_HARNESS_CLI_TIMELINE_H_
#define AIOSPEC_HARNESS_CLI_TIMELINE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/cli/judge.h"

namespace aiospec {

struct TimelineEvent {
  std::string text;   // short: "submitted", "EINPROGRESS", "ret=5"
  std::string kind;   // submit, status, done, error, cancel, close, return, notify
  std::string title;  // the step's record in the log, for a tooltip
};

struct TimelineRow {
  std::string aiocb;                             // its name in the trace
  std::map<int, std::vector<TimelineEvent>> at;  // step -> what it saw
  int submitted = -1;  // first accepted submission, -1 none
  int returned = -1;   // last aio_return, -1 none
};

struct TimelineColumn {
  int step = 0;
  std::string op;  // the op as printed in the trace
};

struct Timeline {
  std::vector<TimelineColumn> columns;  // steps that touched a request, in order
  std::vector<TimelineRow> rows;        // per aiocb, then "(other)" for stray notifications
  int failed_step = -1;                 // where the model rejected or the run stopped
};

Timeline BuildTimeline(const Judgement& j);
// A self-contained <table> (styles in the report's sheet: .tl ...).
std::string RenderTimelineHtml(const Timeline& t);

// Text escaped for HTML content and attribute values.
std::string HtmlEscape(std::string_view s);

}  // namespace aiospec

#endif  // AIOSPEC_HARNESS_CLI_TIMELINE_H_
