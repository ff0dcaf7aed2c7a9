#include "harness/cli/timeline.h"

#include <set>
#include <variant>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// The log as PrintLog writes it, cut into records: "N OP FIELDS" per step,
// "notify FIELDS" per notification in log order. Reusing the printer keeps
// the timeline in the log's words (symbolic errno, AIO_CANCELED, ...).
struct LogRecords {
  std::map<int, std::string> step;  // op index -> "ret=0 errno=..." (after the op name)
  std::vector<std::string> notify;  // "notify after=6 kind=signal ..."
};

LogRecords SplitLog(const Judgement& j) {
  LogRecords r;
  for (absl::string_view line : absl::StrSplit(PrintLog(j.log, j.trace), '\n')) {
    if (absl::StartsWith(line, "notify ")) {
      r.notify.emplace_back(line);
      continue;
    }
    std::vector<absl::string_view> words = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    int op = 0;
    if (words.size() == 3 && absl::SimpleAtoi(words[0], &op)) r.step[op] = std::string(words[2]);
  }
  return r;
}

// "ret=EINPROGRESS errno=..." -> "EINPROGRESS errno=..." for a compact cell.
std::string Short(std::string_view record) {
  std::string s(record);
  if (absl::StartsWith(s, "ret=")) s.erase(0, 4);
  constexpr size_t kMax = 28;  // data= can be 64 KiB: the tooltip has it all
  if (s.size() > kMax) s = absl::StrCat(s.substr(0, kMax - 1), "…");
  return s;
}

class Builder {
 public:
  explicit Builder(const Judgement& j) : j_(j), records_(SplitLog(j)) {
    for (const std::string& name : j.trace.cb_names) rows_.emplace_back().aiocb = name;
    fd_of_.assign(j.trace.cb_names.size(), kNullHandle);
    notify_of_.assign(j.trace.cb_names.size(), Notify{});
  }

  Timeline Build() {
    for (size_t i = 0; i < j_.trace.ops.size(); ++i) {
      auto rec = records_.step.find(static_cast<int>(i));
      if (rec == records_.step.end()) continue;  // not reached: the log is a prefix
      step_ = static_cast<int>(i);
      record_ = rec->second;
      ok_ = absl::StartsWith(record_, "ret=0") && !absl::StrContains(record_, "errno=");
      std::visit([this](const auto& op) { Visit(op); }, j_.trace.ops[i].body);
    }
    AddNotifications();
    return Finish();
  }

 private:
  void Add(CbId cb, std::string text, std::string kind) {
    if (cb < 0 || cb >= static_cast<int>(rows_.size())) return;
    rows_[cb].at[step_].push_back(TimelineEvent{std::move(text), std::move(kind),
                                                absl::StrCat(step_, ": ", record_)});
    touched_.insert(step_);
  }
  void Submit(CbId cb, FdId fd, const Notify& notify, const char* how) {
    if (cb < 0 || cb >= static_cast<int>(rows_.size())) return;
    Add(cb, ok_ ? absl::StrCat(how, " submitted") : absl::StrCat(how, " ", Short(record_)),
        ok_ ? "submit" : "error");
    if (!ok_) return;
    fd_of_[cb] = fd;
    notify_of_[cb] = notify;
    submitted_at_[cb].push_back(step_);
    if (rows_[cb].submitted < 0) rows_[cb].submitted = step_;
  }
  // `settles`: a value other than EINPROGRESS (aio_error, wait) says the
  // request is done: with success, cancelled, or with an error.
  void Status(CbId cb, const char* call, bool settles) {
    const std::string value = Short(record_);
    std::string kind = "status";
    if (absl::StrContains(record_, "errno=")) {
      kind = "error";  // the call itself failed
    } else if (settles && value != "EINPROGRESS") {
      kind = value == "0" ? "done" : value == "ECANCELED" ? "cancel" : "error";
    }
    Add(cb, absl::StrCat(call, " ", value), kind);
  }
  // Every request in flight on `fd` (submitted on it, not returned yet).
  void OnDescriptor(FdId fd, const std::string& text, const std::string& kind) {
    for (CbId cb = 0; cb < static_cast<int>(rows_.size()); ++cb) {
      if (fd_of_[cb] == fd && rows_[cb].submitted >= 0 &&
          rows_[cb].returned < submitted_at_[cb].back()) {
        Add(cb, text, kind);
      }
    }
  }

  void Visit(const AioRead& op) { Submit(op.req.cb, op.req.fd, op.req.notify, "aio_read"); }
  void Visit(const AioWrite& op) { Submit(op.req.cb, op.req.fd, op.req.notify, "aio_write"); }
  void Visit(const AioFsync& op) { Submit(op.cb, op.fd, op.notify, "aio_fsync"); }
  void Visit(const LioListio& op) {
    for (const LioElement& e : op.list) {
      if (e.is_null || e.opcode == LioOpcode::kNop) continue;
      Submit(e.req.cb, e.req.fd, e.req.notify,
             e.opcode == LioOpcode::kRead ? "lio read" : "lio write");
    }
  }
  void Visit(const AioError& op) { Status(op.cb, "aio_error", true); }
  void Visit(const AioReturn& op) {
    Add(op.cb, absl::StrCat("aio_return ", Short(record_)), "return");
    if (op.cb >= 0 && op.cb < static_cast<int>(rows_.size())) rows_[op.cb].returned = step_;
  }
  void Visit(const AioSuspend& op) {
    for (CbId cb : op.list) Status(cb, "aio_suspend", false);
  }
  void Visit(const Wait& op) {
    // A timed-out wait is how a trace shows a request held: no error of it.
    const bool timed_out = absl::StrContains(record_, "ETIMEDOUT");
    for (CbId cb : op.cbs) {
      if (timed_out) {
        Add(cb, "wait: still in flight", "status");
      } else {
        Status(cb, "wait", true);
      }
    }
  }
  void Visit(const AioCancel& op) {
    const std::string text = absl::StrCat("aio_cancel ", Short(record_));
    if (op.cb != kNullHandle) {
      Add(op.cb, text, "cancel");
    } else {
      OnDescriptor(op.fd, absl::StrCat("aio_cancel(NULL) ", Short(record_)), "cancel");
    }
  }
  void Visit(const Close& op) { OnDescriptor(op.fd, "close", "close"); }
  void Visit(const Dup2& op) { OnDescriptor(op.target, "dup2 onto it", "close"); }
  void Visit(const Storm& op) {  // `storm off`'s record (the tooltip) says what handlers saw
    for (CbId cb : op.cbs) Add(cb, op.on ? "storm on" : "storm off", "status");
  }
  void Visit(const Proc& op) {
    if (op.kind == ProcKind::kExit || op.kind == ProcKind::kExec) {
      Submit(op.req.cb, op.req.fd, op.req.notify,
             op.kind == ProcKind::kExit ? "child (then _exit)" : "child (then exec)");
    }
    for (CbId cb : op.watch) Add(cb, "fork", "status");
  }
  template <class Other>
  void Visit(const Other&) {}  // no request of its own

  // A notification goes to the request whose sigevent carries its value,
  // the latest submitted before it arrived; else to "(other)" (a list's).
  void AddNotifications() {
    for (size_t k = 0; k < j_.log.notifications.size() && k < records_.notify.size(); ++k) {
      const NotificationObservation& n = j_.log.notifications[k];
      step_ = n.after_op;
      record_ = records_.notify[k];
      CbId owner = kNullHandle;
      int latest = -1;
      for (CbId cb = 0; cb < static_cast<int>(notify_of_.size()); ++cb) {
        if (notify_of_[cb].kind == NotifyKind::kNone || notify_of_[cb].value != n.value) continue;
        for (int at : submitted_at_[cb]) {
          if (at <= n.after_op && at > latest) latest = at, owner = cb;
        }
      }
      const std::string text = n.kind == NotifyKind::kThread ? "notified (thread)" : "notified (signal)";
      if (owner == kNullHandle) {
        if (other_ < 0) {
          other_ = static_cast<int>(rows_.size());
          rows_.emplace_back().aiocb = "(other)";
        }
        owner = other_;
      }
      Add(owner, text, "notify");
    }
  }

  Timeline Finish() {
    Timeline t;
    if (j_.result.failure.has_value() && j_.result.verdict != Verdict::kPass) {
      t.failed_step = j_.result.failure->op_index;
      if (t.failed_step >= 0) touched_.insert(t.failed_step);
    }
    for (int step : touched_) {
      const bool in_trace = step >= 0 && step < static_cast<int>(j_.trace.ops.size());
      t.columns.push_back(
          {step, in_trace ? PrintOp(j_.trace, j_.trace.ops[step]) : absl::StrCat("step ", step)});
    }
    for (TimelineRow& row : rows_) {
      if (!row.at.empty()) t.rows.push_back(std::move(row));
    }
    return t;
  }

  const Judgement& j_;
  LogRecords records_;
  std::vector<TimelineRow> rows_;
  std::vector<FdId> fd_of_;          // per aiocb: descriptor of its latest submission
  std::vector<Notify> notify_of_;    // per aiocb: sigevent of its latest submission
  std::map<CbId, std::vector<int>> submitted_at_;
  std::set<int> touched_;
  int other_ = -1;
  int step_ = 0;
  std::string record_;
  bool ok_ = false;
};

}  // namespace

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

Timeline BuildTimeline(const Judgement& j) { return Builder(j).Build(); }

std::string RenderTimelineHtml(const Timeline& t) {
  if (t.rows.empty()) return "";
  std::string h =
      "<p class=\"tlnote\">Timeline of the requests: a column per step that touched one "
      "(hover a header for the op, a cell for the log's record); shaded while the request "
      "is in flight; the red column is where the model rejected the run or it stopped.</p>"
      "<div class=\"tlwrap\"><table class=\"tl\"><tr><th>aiocb</th>";
  for (const TimelineColumn& c : t.columns) {
    const std::string name = c.op.substr(0, c.op.find(' '));
    absl::StrAppend(&h, "<th", c.step == t.failed_step ? " class=\"bad\"" : "", " title=\"",
                    HtmlEscape(c.op), "\">", c.step, "<br><span>", HtmlEscape(name),
                    "</span></th>");
  }
  h += "</tr>";
  for (const TimelineRow& row : t.rows) {
    absl::StrAppend(&h, "<tr><th>", HtmlEscape(row.aiocb), "</th>");
    for (const TimelineColumn& c : t.columns) {
      const bool live = row.submitted >= 0 && c.step >= row.submitted &&
                        (row.returned < row.submitted || c.step <= row.returned);
      std::vector<std::string> classes;
      if (live) classes.push_back("live");
      if (c.step == t.failed_step) classes.push_back("bad");
      absl::StrAppend(&h, "<td", classes.empty() ? "" : absl::StrCat(" class=\"", absl::StrJoin(classes, " "), "\""), ">");
      if (auto it = row.at.find(c.step); it != row.at.end()) {
        for (const TimelineEvent& e : it->second) {
          absl::StrAppend(&h, "<span class=\"ev ", e.kind, "\" title=\"", HtmlEscape(e.title),
                          "\">", HtmlEscape(e.text), "</span>");
        }
      }
      h += "</td>";
    }
    h += "</tr>";
  }
  return h + "</table></div>";
}

}  // namespace aiospec
