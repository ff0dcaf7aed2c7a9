#include "harness/repro/repro.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <type_traits>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "harness/observation/host_names.h"
#include "harness/repro/c_runtime.h"
#include "harness/trace/payload.h"
#include "harness/trace/trace_printer.h"
#include "model/rules.h"

namespace aiospec {
namespace {

// A C string literal: printable ASCII as is, the rest in octal; '?' escaped
// so that no trigraph forms; long literals split over lines.
std::string CString(std::string_view bytes) {
  std::string out = "\"";
  size_t line = 0;
  for (unsigned char c : bytes) {
    if (line >= 64) {
      out += "\"\n        \"";
      line = 0;
    }
    std::string piece;
    if (c == '"' || c == '\\' || c == '?') {
      piece = absl::StrCat("\\", std::string(1, static_cast<char>(c)));
    } else if (c >= 0x20 && c < 0x7f) {
      piece = std::string(1, static_cast<char>(c));
    } else {
      piece = absl::StrFormat("\\%03o", c);
    }
    out += piece;
    line += piece.size();
  }
  return out + "\"";
}

// Text inside a /* */ comment.
std::string CommentSafe(const std::string& s) {
  return absl::StrReplaceAll(s, {{"*/", "* /"}, {"/*", "/ *"}});
}

// `bytes` as make_bytes pieces: runs of 16 or more equal bytes as one
// repeated byte, the rest as literal chunks.
std::string Pieces(std::string_view bytes) {
  std::vector<std::string> parts;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    parts.push_back(absl::StrCat("{", CString(literal), ", ", literal.size(), ", 1}"));
    literal.clear();
  };
  for (size_t i = 0; i < bytes.size();) {
    size_t run = 1;
    while (i + run < bytes.size() && bytes[i + run] == bytes[i]) ++run;
    if (run >= 16) {
      flush();
      parts.push_back(absl::StrCat("{", CString(bytes.substr(i, 1)), ", 1, ", run, "}"));
    } else {
      literal.append(bytes.substr(i, run));
    }
    i += run;
  }
  flush();
  if (parts.empty()) return "{{\"\", 0, 0}}";
  return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
}

size_t PieceCount(const std::string& pieces) {
  if (pieces == "{{\"\", 0, 0}}") return 0;
  size_t n = 0;
  bool in_string = false;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i] == '\\' && in_string) {
      ++i;
      continue;
    }
    if (pieces[i] == '"') in_string = !in_string;
    if (!in_string && pieces[i] == '{' && i > 0) ++n;
  }
  return n;
}

// The text the program prints for op k's observation (FormatObservation,
// with aio_cancel's result by name as the model's allowed texts give it).
// A record as the log prints it, without its op index: storm and hold
// records carry fields FormatObservation leaves out.
std::string LogRecordText(const Trace& trace, const StepObservation& obs) {
  ObservationLog one;
  one.steps = {obs};
  const std::vector<std::string> lines = absl::StrSplit(PrintLog(one, trace), '\n');
  return lines[1].substr(lines[1].find(' ') + 1);
}

std::string ObservationText(const Trace& trace, const Op& op, const StepObservation& obs) {
  if (std::holds_alternative<AioCancel>(op.body) && obs.ret != -1) {
    return absl::StrCat("aio_cancel ret=", CancelResultName(static_cast<int>(obs.ret)));
  }
  if (std::holds_alternative<Hold>(op.body) || std::holds_alternative<Storm>(op.body)) {
    return LogRecordText(trace, obs);
  }
  return FormatObservation(op, obs);
}

std::string Wrap(const std::string& text, const std::string& indent, size_t width = 76) {
  std::string out, line;
  for (absl::string_view word : absl::StrSplit(text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
    if (!line.empty() && line.size() + word.size() + 1 + indent.size() > width) {
      absl::StrAppend(&out, indent, line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&out, indent, line, "\n");
  return out;
}

template <typename T>
constexpr bool kAlwaysFalse = false;

// Threads, signal masks and chosen notification signals (version 2) are
// not replayed; `aio_return CB scribble`, also version 2, is.
bool UsesThreadsOrMasks(const Trace& trace) {
  bool chosen_signal = false;
  auto note = [&](const Notify& n) {
    chosen_signal |= n.kind == NotifyKind::kSignal && n.rt != kDefaultRtSignal;
  };
  for (const Op& op : trace.ops) {
    if (op.run != RunOn::kMain || std::holds_alternative<ThreadOp>(op.body) ||
        std::holds_alternative<Sigmask>(op.body)) {
      return true;
    }
    if (const auto* r = std::get_if<AioRead>(&op.body)) note(r->req.notify);
    if (const auto* w = std::get_if<AioWrite>(&op.body)) note(w->req.notify);
    if (const auto* f = std::get_if<AioFsync>(&op.body)) note(f->notify);
    if (const auto* p = std::get_if<Proc>(&op.body)) note(p->req.notify);
    if (const auto* lio = std::get_if<LioListio>(&op.body)) {
      note(lio->notify);
      for (const LioElement& e : lio->list) note(e.req.notify);
    }
  }
  return chosen_signal;
}

constexpr std::string_view kNotifyPrefix = "notify ";

// A FAIL whose rejected observation is a notification, not an op's record.
bool IsNotificationFinding(const Explanation& e) {
  return e.observed.rfind(kNotifyPrefix, 0) == 0;
}

// A notify record as the program's describe_note prints it (and the
// model's explanations write it, after "notify ").
std::string NoteText(const NotificationObservation& n) {
  std::string out = n.kind == NotifyKind::kSignal
                        ? absl::StrCat("kind=signal signo=", SignalName(n.signo),
                                       " code=", SiCodeName(n.code), " value=", n.value)
                        : absl::StrCat("kind=thread value=", n.value);
  if (n.status_in_handler.has_value()) {
    absl::StrAppend(&out, " status=",
                    *n.status_in_handler == 0 ? "0" : ErrnoName(*n.status_in_handler));
  }
  return out;
}

// Which arrival of the rejected notification's text the model rejected: a
// duplicate is judged by its count, not its text. The last one of that
// text by the end of the failing op.
int RejectedArrival(const ObservationLog& log, const Explanation& e) {
  const std::string text = e.observed.substr(kNotifyPrefix.size());
  return static_cast<int>(std::count_if(
      log.notifications.begin(), log.notifications.end(),
      [&](const NotificationObservation& n) {
        return n.after_op <= e.op_index && NoteText(n) == text;
      }));
}

int64_t Millis(const Timeout& t) {
  if (t.infinite) return 0;
  return std::min<int64_t>(t.nanos / 1000000, 3600 * 1000);
}

class Emitter {
 public:
  explicit Emitter(const ReproInput& in) : in_(in), trace_(*in.trace) {}

  absl::StatusOr<std::string> Emit();

 private:
  std::string Fd(FdId fd) const {
    return fd < 0 ? "-1" : absl::StrCat("fd_", trace_.fd_names[fd]);
  }
  std::string Path(FileId f) const { return CString(trace_.file_names[f]); }
  // The aiocb a query names: its latest submission.
  std::string Cb(CbId cb);
  // A new aiocb variable for a submission of `req` at op k.
  // `mapped`: the buffer is pages of its own (proc exec's probe maps the
  // same address in the new image).
  std::string Submit(int k, const IoRequest& req, bool is_read, bool is_write,
                     bool mapped = false);
  std::string Buf(const std::string& cb) const { return absl::StrCat("buf", cb.substr(2)); }
  std::string NotifyCode(const std::string& cb, const Notify& n);
  std::string ObserveLine(int k, const char* kind, const std::string& data = "",
                          const std::string& ndata = "-1") const;
  // `call` (an aio_error or aio_cancel on aiocb `cb`), with the aiocb's
  // public members compared before and after, as the agent does.
  std::string WatchAiocb(const std::string& cb, const std::string& call);
  void EmitOp(int k, const Op& op);
  void EmitStorm(int k, const Storm& o);
  void EmitProc(int k, const Proc& o);
  // The storm judge's tables (c_runtime's kStorm), from what the model
  // allowed at a failing `storm off` and what the recorded run saw.
  std::string StormTables() const;
  std::string Header() const;
  // The trace file's name without directory and ".trace".
  std::string TraceName() const {
    std::string name = in_.trace_path.substr(in_.trace_path.rfind('/') + 1);
    if (name.size() > 6 && name.substr(name.size() - 6) == ".trace") name.resize(name.size() - 6);
    return name;
  }
  std::string Data() const;

  const ReproInput& in_;
  const Trace& trace_;
  std::set<CHelper> helpers_{CHelper::kJudge, CHelper::kWatchdog};
  std::vector<std::string> decls_;
  std::string body_;
  absl::flat_hash_map<CbId, std::string> current_;     // cb -> latest variable
  absl::flat_hash_map<std::string, bool> is_read_;     // variable -> a read
  absl::flat_hash_map<std::string, int64_t> buf_size_; // variable -> its buffer's size
  absl::flat_hash_map<std::string, int> uses_;         // variable name -> count
  std::vector<int64_t> bound_ms_;
  bool notify_ = false;
  bool storm_on_ = false;  // ops get kStormSlack times the slack
  bool holds_ = false;
};

// An op while a signal storm is on (`storm on` and `off` included) gets
// this many times the slack, as the agent's per-op watchdog gives it.
constexpr int kStormSlack = 5;

// What the model's storm rule says of a watched aiocb: "aio_error of
// 'NAME' STATUS" and "aio_return of 'NAME' ret=N" (allowed), "... saw
// aio_error of 'NAME' = STATUS" and "aio_return of 'NAME' gave N" (its
// message). The fact's kind (FINAL or RETURNED in the program), the
// aiocb's name and the value; nullopt for another text, or a status C
// cannot name (E#123).
struct StormFactText {
  const char* kind;
  std::string cb, value;
};
std::optional<StormFactText> ParseStormFact(std::string_view text, bool message) {
  const struct {
    const char* kind;
    std::string_view prefix, infix;
  } kForms[] = {{"FINAL", "aio_error of '", message ? "' = " : "' "},
                {"RETURNED", "aio_return of '", message ? "' gave " : "' ret="}};
  for (const auto& form : kForms) {
    const size_t at = text.find(form.prefix);
    if (at == std::string_view::npos) continue;
    std::string_view rest = text.substr(at + form.prefix.size());
    const size_t quote = rest.find(form.infix);
    if (quote == std::string_view::npos) continue;
    std::string value(rest.substr(quote + form.infix.size()));
    if (absl::StrContains(value, "#")) return std::nullopt;
    return StormFactText{form.kind, std::string(rest.substr(0, quote)), std::move(value)};
  }
  return std::nullopt;
}

std::string Emitter::Cb(CbId cb) {
  if (auto it = current_.find(cb); it != current_.end()) return it->second;
  // Never submitted: a zeroed aiocb, as aiospec's agent passes.
  std::string var = absl::StrCat("cb_", trace_.cb_names[cb], "_unsubmitted");
  decls_.push_back(absl::StrCat("static struct aiocb ", var, ";"));
  current_[cb] = var;
  return var;
}

std::string Emitter::Submit(int k, const IoRequest& req, bool is_read, bool is_write,
                            bool mapped) {
  std::string var = absl::StrCat("cb_", trace_.cb_names[req.cb]);
  if (uses_[var]++ > 0 || current_.contains(req.cb)) var = absl::StrCat(var, "_op", k);
  while (is_read_.contains(var)) var += "_";
  const int64_t size = std::clamp<int64_t>(req.nbytes, 1, kMaxPayloadBytes);
  const std::string buf = Buf(var);
  decls_.push_back(absl::StrCat("static struct aiocb ", var, ";"));
  if (mapped) {
    decls_.push_back(absl::StrFormat("static unsigned char *%s; /* %d bytes */", buf, size));
    absl::StrAppend(&body_, "  ", buf, " = map_pages(", size, ");\n");
  } else {
    decls_.push_back(absl::StrFormat("static unsigned char %s[%d];", buf, size));
  }
  current_[req.cb] = var;
  is_read_[var] = is_read;
  buf_size_[var] = size;
  if (is_read) {
    absl::StrAppend(&body_, "  memset(", buf, ", '?', ", size,
                    "); /* unwritten bytes show as '?' */\n");
  } else if (is_write) {
    const std::string bytes = RequestBytes(trace_, k, req);
    std::string pattern = req.data.has_value()
                              ? *req.data
                              : absl::StrCat(trace_.cb_names[req.cb], "@", k, ".");
    std::string check;
    while (!pattern.empty() && check.size() < bytes.size()) check += pattern;
    if (check.substr(0, bytes.size()) != bytes) pattern = bytes;
    helpers_.insert(CHelper::kMakeBytes);
    const std::string pieces = Pieces(pattern);
    absl::StrAppend(&body_, "  {\n    static const struct piece data[] = ", pieces,
                    ";\n    make_bytes(", buf, ", ", bytes.size(), ", data, ",
                    PieceCount(pieces), ");\n  }\n");
  }
  absl::StrAppend(&body_, "  ", var, ".aio_fildes = ", Fd(req.fd), ";\n  ", var,
                  ".aio_offset = ", req.offset, ";\n  ", var, ".aio_buf = ", buf, ";\n  ",
                  var, ".aio_nbytes = (size_t)", req.nbytes, "LL;\n");
  if (req.reqprio != 0) absl::StrAppend(&body_, "  ", var, ".aio_reqprio = ", req.reqprio, ";\n");
  absl::StrAppend(&body_, NotifyCode(var, req.notify));
  return var;
}

std::string Emitter::NotifyCode(const std::string& cb, const Notify& n) {
  if (n.kind == NotifyKind::kNone) return "";
  notify_ = true;
  helpers_.insert({CHelper::kNotify, CHelper::kNotifyRequest});
  const char* kind = n.kind == NotifyKind::kSignal ? "SIGEV_SIGNAL" : "SIGEV_THREAD";
  if (cb.empty()) return absl::StrFormat("%s, %d", kind, n.value);
  return absl::StrFormat("  set_notify(&%s.aio_sigevent, %s, %d);\n  track(%d, &%s);\n", cb,
                         kind, n.value, n.value, cb);
}

// "  CB.aio_lio_opcode = VALUE;\n" for a `lio_opcode=`, else "".
std::string LioOpcodeLine(const std::string& cb, const std::optional<LioOpcodeValue>& v) {
  if (!v.has_value()) return "";
  std::string value = absl::StrCat(v->number);
  if (v->named) {
    value = v->name == LioOpcode::kRead    ? "LIO_READ"
            : v->name == LioOpcode::kWrite ? "LIO_WRITE"
                                           : "LIO_NOP";
  }
  return absl::StrCat("  ", cb, ".aio_lio_opcode = ", value,
                      "; /* ignored by the call (AIO-GEN-19) */\n");
}

std::string Emitter::WatchAiocb(const std::string& cb, const std::string& call) {
  helpers_.insert(CHelper::kAiocbWatch);
  return absl::StrCat("  {\n    struct aiocb_public before;\n    aiocb_snapshot(&", cb,
                      ", &before);\n    errno = 0;\n    ", call,
                      "\n    err = errno;\n    aiocb_changed(&", cb, ", &before);\n  }\n");
}

std::string Emitter::ObserveLine(int k, const char* kind, const std::string& data,
                                 const std::string& ndata) const {
  return absl::StrFormat("  observe(%d, \"%s\", %s, ret, err, %s, %s);\n", k,
                         OpName(trace_.ops[k].body), kind, data.empty() ? "NULL" : data,
                         ndata);
}

void Emitter::EmitOp(int k, const Op& op) {
  std::string& b = body_;
  // The op's own timeout; the slack comes on top (as the agent target's
  // per-op watchdog gives it).
  int64_t bound = 0;
  const bool stormy = storm_on_ || std::holds_alternative<Storm>(op.body);
  absl::StrAppend(&b, "\n  /* op ", k, op.loc.line > 0 ? absl::StrCat(" (trace line ", op.loc.line, ")") : "",
                  ": ", CommentSafe(PrintOp(trace_, op)), " */\n  step(", k, ");\n");
  std::visit(
      [&](const auto& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, DeclareFile>) {
          helpers_.insert(CHelper::kFiles);
          helpers_.insert(CHelper::kMakeBytes);
          const std::string pieces = Pieces(o.content);
          absl::StrAppend(&b, "  {\n    static const struct piece content[] = ", pieces,
                          ";\n    unsigned char *bytes = malloc(", o.content.size() + 1,
                          ");\n    make_bytes(bytes, ", o.content.size(), ", content, ",
                          PieceCount(pieces), ");\n    errno = 0;\n    ret = make_file(",
                          Path(o.file), ", bytes, ", o.content.size(),
                          ");\n    err = errno;\n    free(bytes);\n  }\n",
                          ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, DeclarePipe> ||
                             std::is_same_v<T, DeclareSocketpair>) {
          constexpr bool kPipe = std::is_same_v<T, DeclarePipe>;
          FdId a, c;
          if constexpr (kPipe) {
            a = o.read_end;
            c = o.write_end;
          } else {
            a = o.a;
            c = o.b;
          }
          absl::StrAppend(&b, "  {\n    int p[2];\n    errno = 0;\n    ret = ",
                          kPipe ? "pipe(p)" : "socketpair(AF_UNIX, SOCK_STREAM, 0, p)",
                          ";\n    err = errno;\n    if (ret == 0) {\n      ", Fd(a),
                          " = p[0];\n      ", Fd(c), " = p[1];\n    }\n  }\n",
                          ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, Open>) {
          helpers_.insert(CHelper::kFiles);
          std::string flags = (o.flags & kAccessRead) && (o.flags & kAccessWrite) ? "O_RDWR"
                              : (o.flags & kAccessWrite)                          ? "O_WRONLY"
                                                                                  : "O_RDONLY";
          if (o.flags & kFlagAppend) flags += " | O_APPEND";
          if (o.flags & kFlagSync) flags += " | O_SYNC";
          if (o.flags & kFlagDsync) flags += " | O_DSYNC";
          absl::StrAppend(&b, "  errno = 0;\n  ret = open(path_of(", Path(o.file), "), ", flags, ");\n");
          if (o.flags & kFlagHold) {
            holds_ = true;
            helpers_.insert(CHelper::kHold);
            absl::StrAppend(&b, "  if (ret >= 0) ret = hold_move((int)ret); /* +hold */\n");
          }
          absl::StrAppend(&b, "  err = errno;\n  if (ret >= 0) ", Fd(o.fd), " = (int)ret;\n",
                          ObserveLine(k, "RET_DESCRIPTOR"));
        } else if constexpr (std::is_same_v<T, Close>) {
          absl::StrAppend(&b, "  errno = 0;\n  ret = close(", Fd(o.fd), ");\n  err = errno;\n  ",
                          Fd(o.fd), " = -1; /* Linux frees the number even on error */\n",
                          ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, Dup>) {
          absl::StrAppend(&b, "  errno = 0;\n  ret = dup(", Fd(o.old_fd), ");\n  err = errno;\n",
                          "  if (ret >= 0) ", Fd(o.new_fd), " = (int)ret;\n",
                          ObserveLine(k, "RET_DESCRIPTOR"));
        } else if constexpr (std::is_same_v<T, Dup2>) {
          absl::StrAppend(&b, "  errno = 0;\n  /* onto the target's number if it is open */\n",
                          "  ret = ", Fd(o.target), " >= 0 ? dup2(", Fd(o.old_fd), ", ",
                          Fd(o.target), ") : dup(", Fd(o.old_fd), ");\n  err = errno;\n",
                          "  if (ret >= 0) ", Fd(o.target), " = (int)ret;\n",
                          ObserveLine(k, "RET_DESCRIPTOR"));
        } else if constexpr (std::is_same_v<T, AioRead> || std::is_same_v<T, AioWrite>) {
          constexpr bool kRead = std::is_same_v<T, AioRead>;
          const std::string cb = Submit(k, o.req, kRead, !kRead);
          absl::StrAppend(&b, LioOpcodeLine(cb, o.lio_opcode));
          absl::StrAppend(&b, "  errno = 0;\n  ret = ", kRead ? "aio_read" : "aio_write", "(&",
                          cb, ");\n  err = errno;\n", ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, AioFsync>) {
          IoRequest req;
          req.cb = o.cb;
          req.fd = o.fd;
          req.notify = o.notify;
          const std::string cb = Submit(k, req, false, false);
          absl::StrAppend(&b, LioOpcodeLine(cb, o.lio_opcode));
          const char* how = o.op == FsyncOp::kSync    ? "O_SYNC"
                            : o.op == FsyncOp::kDsync ? "O_DSYNC"
                                                      : "0 /* neither: invalid */";
          absl::StrAppend(&b, "  errno = 0;\n  ret = aio_fsync(", how, ", &", cb,
                          ");\n  err = errno;\n", ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, AioError>) {
          const std::string cb = Cb(o.cb);
          absl::StrAppend(&b, WatchAiocb(cb, absl::StrCat("ret = aio_error(&", cb, ");")),
                          ObserveLine(k, "RET_ERROR_STATUS"));
        } else if constexpr (std::is_same_v<T, AioReturn>) {
          const std::string cb = Cb(o.cb);
          absl::StrAppend(&b, "  errno = 0;\n  ret = aio_return(&", cb, ");\n  err = errno;\n");
          // scribble: the bytes shown are the buffer's before the scribble.
          auto scribble = [&](const std::string& shown) {
            if (!o.scribble) return std::string();
            return absl::StrCat("scribble(&", cb, ", ", Buf(cb), ", ", buf_size_[cb], ", ",
                                shown, ")");
          };
          if (o.scribble) helpers_.insert(CHelper::kScribble);
          if (is_read_[cb]) {
            const std::string seen = o.scribble ? scribble("n") : Buf(cb);
            absl::StrAppend(&b, "  if (ret > 0) {\n    long long n = ret < ", buf_size_[cb],
                            " ? ret : ", buf_size_[cb], ";\n  ",
                            ObserveLine(k, "RET_NUMBER", seen, "n"), "  } else {\n");
            if (o.scribble) absl::StrAppend(&b, "    ", scribble("0"), ";\n");
            absl::StrAppend(&b, "  ", ObserveLine(k, "RET_NUMBER"), "  }\n");
          } else {
            if (o.scribble) absl::StrAppend(&b, "  ", scribble("0"), ";\n");
            absl::StrAppend(&b, ObserveLine(k, "RET_NUMBER"));
          }
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          std::vector<std::string> list;
          for (CbId c : o.list) list.push_back(c < 0 ? "NULL" : absl::StrCat("&", Cb(c)));
          if (list.empty()) list.push_back("NULL");
          absl::StrAppend(&b, "  {\n    const struct aiocb *list[] = {", absl::StrJoin(list, ", "),
                          "};\n");
          std::string timeout = "NULL";
          if (!o.timeout.infinite) {
            absl::StrAppend(&b, "    struct timespec ts;\n    ts.tv_sec = ",
                            o.timeout.nanos / 1000000000, ";\n    ts.tv_nsec = ",
                            o.timeout.nanos % 1000000000, ";\n");
            timeout = "&ts";
            bound += Millis(o.timeout);
          }
          // A timed wait is measured, as the agent does (AIO-SUSP-06).
          std::string call = absl::StrCat("aio_suspend(list, ", o.list.size(), ", ", timeout, ")");
          if (!o.timeout.infinite && o.timeout.nanos > 0) {
            helpers_.insert(CHelper::kTimedSuspend);
            call = absl::StrCat("timed_suspend(list, ", o.list.size(), ", &ts, ",
                                o.timeout.nanos, "LL)");
          }
          absl::StrAppend(&b, "    errno = 0;\n    ret = ", call, ";\n    err = errno;\n  }\n",
                          ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          if (o.cb < 0) {
            absl::StrAppend(&b, "  errno = 0;\n  ret = aio_cancel(", Fd(o.fd),
                            ", NULL);\n  err = errno;\n", ObserveLine(k, "RET_CANCEL"));
          } else {
            const std::string cb = Cb(o.cb);
            absl::StrAppend(
                &b, WatchAiocb(cb, absl::StrCat("ret = aio_cancel(", Fd(o.fd), ", &", cb, ");")),
                ObserveLine(k, "RET_CANCEL"));
          }
        } else if constexpr (std::is_same_v<T, LioListio>) {
          std::vector<std::string> list;
          for (const LioElement& e : o.list) {
            if (e.is_null) {
              list.push_back("NULL");
              continue;
            }
            const bool read = e.opcode == LioOpcode::kRead;
            const bool write = e.opcode == LioOpcode::kWrite;
            const std::string cb = Submit(k, e.req, read, write);
            absl::StrAppend(&b, "  ", cb, ".aio_lio_opcode = ",
                            read ? "LIO_READ" : write ? "LIO_WRITE" : "LIO_NOP", ";\n");
            list.push_back(absl::StrCat("&", cb));
          }
          if (list.empty()) list.push_back("NULL");
          std::string sig = "NULL";
          if (o.notify.kind != NotifyKind::kNone) {
            absl::StrAppend(&b, "  static struct sigevent list_sig_op", k, ";\n  set_notify(&list_sig_op",
                            k, ", ", NotifyCode("", o.notify), ");\n  track(", o.notify.value,
                            ", NULL);\n");
            sig = absl::StrCat("&list_sig_op", k);
          }
          absl::StrAppend(&b, "  {\n    /* static: the library may read the list until the ",
                          "requests complete */\n    static struct aiocb *list[] = {",
                          absl::StrJoin(list, ", "), "};\n    errno = 0;\n    ret = lio_listio(",
                          o.wait ? "LIO_WAIT" : "LIO_NOWAIT", ", list, ", o.list.size(), ", ", sig,
                          ");\n    err = errno;\n  }\n", ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, Fill>) {
          helpers_.insert({CHelper::kNonBlocking, CHelper::kNbWrite, CHelper::kFill});
          absl::StrAppend(&b, "  ret = fill(", Fd(o.fd), ", &err);\n", ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, Drain>) {
          helpers_.insert({CHelper::kNonBlocking, CHelper::kDrain});
          absl::StrAppend(&b, "  {\n    unsigned char *got;\n    ret = drain(", Fd(o.fd), ", ",
                          o.max, ", &got, &err);\n  ", ObserveLine(k, "RET_NUMBER", "got", "ret"),
                          "    free(got);\n  }\n");
        } else if constexpr (std::is_same_v<T, Write>) {
          helpers_.insert({CHelper::kNonBlocking, CHelper::kNbWrite, CHelper::kWriteNow,
                           CHelper::kMakeBytes});
          const std::string pieces = Pieces(o.data);
          absl::StrAppend(&b, "  {\n    static const struct piece data[] = ", pieces,
                          ";\n    static unsigned char bytes[", o.data.size() + 1,
                          "];\n    make_bytes(bytes, ", o.data.size(), ", data, ",
                          PieceCount(pieces), ");\n    ret = write_now(", Fd(o.fd),
                          ", (const char *)bytes, ", o.data.size(), ", &err);\n  }\n",
                          ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, Readback>) {
          helpers_.insert({CHelper::kFiles, CHelper::kReadback});
          absl::StrAppend(&b, "  {\n    unsigned char *got;\n    errno = 0;\n    ret = read_file(",
                          Path(o.file), ", &got);\n    err = errno;\n  ",
                          ObserveLine(k, "RET_NUMBER", "got", "ret"), "    free(got);\n  }\n");
        } else if constexpr (std::is_same_v<T, Wait>) {
          helpers_.insert(CHelper::kWait);
          if (o.notified) helpers_.insert({CHelper::kNotify, CHelper::kWaitNotified});
          std::vector<std::string> list;
          for (CbId c : o.cbs) list.push_back(absl::StrCat("&", Cb(c)));
          const int64_t ns =
              o.timeout.infinite ? -1 : std::min<int64_t>(o.timeout.nanos, 3600'000'000'000);
          bound += Millis(o.timeout);
          absl::StrAppend(&b, "  {\n    struct aiocb *list[] = {", absl::StrJoin(list, ", "),
                          "};\n    ret = ", o.notified ? "wait_notified" : "wait_for", "(list, ", o.cbs.size(), ", ", ns,
                          "LL, &err);\n  }\n", ObserveLine(k, "RET_NUMBER"));
        } else if constexpr (std::is_same_v<T, Storm>) {
          EmitStorm(k, o);
        } else if constexpr (std::is_same_v<T, Proc>) {
          EmitProc(k, o);
        } else if constexpr (std::is_same_v<T, Hold>) {
          holds_ = true;
          helpers_.insert(CHelper::kHold);
          const char* err = o.error == HoldError::kEio      ? "EIO"
                            : o.error == HoldError::kEnospc ? "ENOSPC"
                                                            : "0";
          absl::StrAppend(&b, o.kind == HoldKind::kWait
                                  ? absl::StrCat("  hold_wait(", k, ", ", Fd(o.fd), ", ", o.count,
                                                 ", ", o.timeout.nanos, "LL);\n")
                                  : absl::StrCat("  hold_release(", k, ", ", Fd(o.fd), ", ",
                                                 o.all ? 1 : 0, ", ", err, ");\n"));
          if (o.kind == HoldKind::kWait) bound += Millis(o.timeout);
        } else if constexpr (std::is_same_v<T, ThreadOp> ||
                             std::is_same_v<T, Sigmask>) {
          // Emit refuses such traces before any op is written.
        } else {
          static_assert(kAlwaysFalse<T>, "an op the reproducer does not write");
        }
      },
      op.body);
  if (notify_) absl::StrAppend(&b, "  report_notifications(", k, ");\n");
  bound_ms_.push_back(bound + (stormy ? kStormSlack : 1) * kHangSlackMillis);
}

void Emitter::EmitStorm(int k, const Storm& o) {
  helpers_.insert(CHelper::kStorm);
  if (!o.on) {
    storm_on_ = false;
    absl::StrAppend(&body_, "  storm_off(", k, ");\n");
    return;
  }
  storm_on_ = true;
  for (CbId cb : o.cbs) {
    const bool may_return = std::find(o.returns.begin(), o.returns.end(), cb) != o.returns.end();
    absl::StrAppend(&body_, "  storm_watch(", CString(trace_.cb_names[cb]), ", &", Cb(cb), ", ",
                    may_return ? 1 : 0, ");\n");
  }
  std::vector<std::string> calls;
  if (o.calls & kStormError) calls.push_back("CALL_ERROR");
  if (o.calls & kStormSuspend) calls.push_back("CALL_SUSPEND");
  if (calls.empty()) calls.push_back("0");
  if (o.close_fd != kNullHandle) {
    // close=D: the handler closes D; storm_on_close returns close's result.
    absl::StrAppend(&body_, "  ret = storm_on_close(", o.rate_hz, ", ",
                    absl::StrJoin(calls, " | "), ", ", Fd(o.close_fd), ", &err);\n  ",
                    Fd(o.close_fd), " = -1; /* closed by the handler */\n",
                    ObserveLine(k, "RET_NUMBER"));
    return;
  }
  absl::StrAppend(&body_, "  ret = storm_on(", o.rate_hz, ", ", absl::StrJoin(calls, " | "),
                  ", &err);\n", ObserveLine(k, "RET_NUMBER"));
}

void Emitter::EmitProc(int k, const Proc& o) {
  std::string& b = body_;
  helpers_.insert({CHelper::kProc, CHelper::kNotify});
  notify_ = true;  // a child counts the notifications it gets
  switch (o.kind) {
    case ProcKind::kFork: {
      helpers_.insert({CHelper::kProcJoin, CHelper::kProcFork});
      std::vector<std::string> bufs, lens, fds;
      for (CbId cb : o.watch) {
        if (!current_.contains(cb)) continue;  // never submitted: nothing to watch
        bufs.push_back(Buf(current_[cb]));
        lens.push_back(absl::StrCat(buf_size_[current_[cb]]));
      }
      const size_t nbufs = bufs.size();
      for (size_t i = 0; i < trace_.fd_names.size(); ++i) fds.push_back(Fd(static_cast<FdId>(i)));
      if (bufs.empty()) {  // C has no empty arrays
        bufs.push_back("NULL");
        lens.push_back("0");
      }
      if (fds.empty()) fds.push_back("-1");
      absl::StrAppend(&b, "  {\n    /* what the child watches, and the descriptors it closes */\n",
                      "    unsigned char *const bufs[] = {", absl::StrJoin(bufs, ", "),
                      "};\n    const size_t lens[] = {", absl::StrJoin(lens, ", "),
                      "};\n    const int fds[] = {", absl::StrJoin(fds, ", "),
                      "};\n    ret = proc_fork(bufs, lens, ", nbufs, ", /* cancel: */ ",
                      o.cancel_fd == kNullHandle ? "0, -1" : absl::StrCat("1, ", Fd(o.cancel_fd)),
                      ", fds, ", fds.size(), ", &err);\n  }\n", ObserveLine(k, "RET_NUMBER"));
      return;
    }
    case ProcKind::kJoin:
      helpers_.insert(CHelper::kProcJoin);
      absl::StrAppend(&b, "  proc_join(", k, ");\n");
      return;
    case ProcKind::kExit:
    case ProcKind::kExec: {
      const bool exec = o.kind == ProcKind::kExec;
      // Set up here, submitted only in the child.
      const std::string cb = Submit(k, o.req, !o.write, o.write, exec);
      helpers_.insert(CHelper::kChildSubmit);
      helpers_.insert(exec ? std::initializer_list<CHelper>{CHelper::kProcJoin, CHelper::kExec}
                           : std::initializer_list<CHelper>{CHelper::kProcExit});
      absl::StrAppend(&b, "  ret = ", exec ? "proc_exec" : "proc_exit", "(&", cb, ", ",
                      o.write ? 1 : 0, ", &err);\n", ObserveLine(k, "RET_NUMBER"));
      return;
    }
  }
}

std::string Emitter::StormTables() const {
  const CheckResult& r = *in_.result;
  const Explanation* e = r.failure ? &*r.failure : nullptr;
  std::vector<std::string> allowed, rejected;
  bool none_complete = false;
  const Storm* off = nullptr;
  if (r.verdict == Verdict::kFail && e != nullptr && e->op_index >= 0) {
    off = std::get_if<Storm>(&trace_.ops[e->op_index].body);
  }
  // The fact as a table entry: its kind, the aiocb's position in the
  // storm's list, the value.
  auto entry = [&](const std::optional<StormFactText>& fact) {
    for (size_t i = 0; fact.has_value() && i < off->cbs.size(); ++i) {
      if (trace_.cb_names[off->cbs[i]] == fact->cb) {
        return std::optional<std::string>(
            absl::StrCat("{", fact->kind, ", ", i, ", ", fact->value, "}"));
      }
    }
    return std::optional<std::string>();
  };
  if (off != nullptr && !off->on) {
    for (const std::string& a : e->allowed) {
      none_complete |= absl::StrContains(a, "(none complete)");
      if (std::optional<std::string> fact = entry(ParseStormFact(a, false))) {
        allowed.push_back(*fact);
      }
    }
    // Only the message names what no world allowed: the allowed list joins
    // what each world allowed.
    if (std::optional<std::string> fact = entry(ParseStormFact(e->message, true))) {
      rejected.push_back(*fact);
    }
  }
  allowed.push_back("{FINAL, -1, 0}");
  rejected.push_back("{FINAL, -1, 0}");
  return absl::StrCat(
      "\n/* The storm judge (op FAIL_OP): per watched aiocb (by position), the final\n"
      " * statuses of its handlers' aio_error and the values of their aio_return\n"
      " * that the model allowed, and the one it rejected in the recorded run. */\n"
      "enum { FINAL, RETURNED };\nstruct storm_fact {\n  int kind, cb;\n  long long value;\n};\n"
      "static const struct storm_fact storm_allowed[] = {",
      absl::StrJoin(allowed, ", "), "};\nstatic const struct storm_fact storm_rejected[] = {",
      absl::StrJoin(rejected, ", "), "};\n#define STORM_NONE_COMPLETE ", none_complete ? 1 : 0,
      " /* aio_suspend(0) = 0 in a handler is a FAIL */\n");
}

std::string Emitter::Header() const {
  const CheckResult& r = *in_.result;
  const Explanation* e = r.failure ? &*r.failure : nullptr;
  std::string h = absl::StrCat("/* aiospec reproducer: ", TraceName(), " is ",
                               VerdictName(r.verdict), " on ", in_.target, " (profile ",
                               ProfileName(r.profile), ")\n *\n");
  if (!trace_.about.empty()) absl::StrAppend(&h, Wrap(CommentSafe(trace_.about), " * "), " *\n");
  if (e != nullptr && !e->assertion_ids.empty()) {
    absl::StrAppend(&h, " * Assertions it breaks (spec/ASSERTIONS.md):\n");
    for (const std::string& id : e->assertion_ids) {
      std::string text;
      for (const auto& [tid, t] : in_.assertion_texts) {
        if (tid == id) text = t;
      }
      absl::StrAppend(&h, Wrap(CommentSafe(absl::StrCat(id, ": ", text)), " *   "));
    }
    absl::StrAppend(&h, " *\n");
  }
  if (e != nullptr && e->op_index >= 0) {
    absl::StrAppend(&h, " * At op ", e->op_index,
                    e->loc.line > 0 ? absl::StrCat(" (trace line ", e->loc.line, ")") : "", ": ",
                    CommentSafe(e->op_text), "\n");
    if (r.verdict == Verdict::kFail) {
      absl::StrAppend(&h, " *   POSIX allows: ",
                      e->allowed.empty() ? "(nothing the run could show)"
                                         : CommentSafe(absl::StrJoin(e->allowed, " or ")),
                      "\n *   ", in_.target, " observed: ", CommentSafe(e->observed), "\n");
    }
    absl::StrAppend(&h, Wrap(CommentSafe(e->message), " *   "));
    absl::StrAppend(&h, " *\n");
  }
  absl::StrAppend(
      &h, " * Build and run (glibc):  ", ReproBuildLine("repro.c"),
      "\n *               (musl):   musl-gcc -std=c99 -static repro.c -o repro && ./repro\n"
      " * It prints each op and what it observed (in aiospec's log format), then\n"
      " * its verdict, and exits 0 PASS (the behaviour POSIX requires), 1 FAIL\n"
      " * (the finding reproduced, or a hang or crash), 2 INCONCLUSIVE (an earlier\n"
      " * op took another path than the run aiospec recorded, so what POSIX\n"
      " * allows at the failing op may differ, or the failing op saw something\n"
      " * else that is not on the list below; judge it with aiospec). Each op\n"
      " * gets ",
      kHangSlackMillis,
      " ms plus its own timeout (five times the ", kHangSlackMillis,
      " ms while a signal\n * storm is on) before it counts as hung.\n *\n"
      " * Generated by `aiospec repro` from ",
      CommentSafe(in_.trace_path), ";\n * only libc is needed.\n */\n");
  return h;
}

std::string Emitter::Data() const {
  const CheckResult& r = *in_.result;
  const Explanation* e = r.failure ? &*r.failure : nullptr;
  const int n = static_cast<int>(trace_.ops.size());
  const bool fail = r.verdict == Verdict::kFail && e != nullptr;
  const bool note = fail && IsNotificationFinding(*e);
  const int fail_op = fail && !note ? e->op_index : -1;
  std::string d = absl::StrCat(
      "\n#define NOPS ", n, "\n#define FAIL_OP ", fail_op,
      " /* -1: the finding is a hang, a crash or a notification */\n#define HANG_SLACK_MS ",
      kHangSlackMillis, "\nstatic const char why[] = ", CString(e != nullptr ? e->message : ""),
      ";\n");
  if (helpers_.contains(CHelper::kFiles)) d += "#define HAVE_FILES 1\n";
  if (helpers_.contains(CHelper::kExec)) d += "#define HAVE_EXEC_PROBE 1\n";
  if (helpers_.contains(CHelper::kNotify)) {
    absl::StrAppend(&d, "/* The notification the model rejected (\"\": none), as printed, and\n"
                        " * which arrival of it (a second one may be what is wrong). */\n"
                        "static const char failing_note[] = ",
                    CString(note ? e->observed.substr(kNotifyPrefix.size()) : ""),
                    ";\n#define FAILING_NOTE_ARRIVAL ",
                    note ? RejectedArrival(*in_.log, *e) : 0, "\n");
  }
  if (helpers_.contains(CHelper::kStorm)) d += StormTables();
  std::vector<std::string> text, recorded, bounds;
  for (int k = 0; k < n; ++k) {
    text.push_back(CString(PrintOp(trace_, trace_.ops[k])));
    recorded.push_back(k < static_cast<int>(in_.log->steps.size())
                           ? CString(ObservationText(trace_, trace_.ops[k], in_.log->steps[k]))
                           : "NULL");
    bounds.push_back(absl::StrCat(bound_ms_[k]));
  }
  std::vector<std::string> allowed;
  if (fail) {
    for (const std::string& a : e->allowed) allowed.push_back(CString(a));
  }
  allowed.push_back("NULL");
  absl::StrAppend(&d, "\n/* The ops, as the trace writes them. */\nstatic const char *const op_text[NOPS] = {\n    ",
                  absl::StrJoin(text, ",\n    "),
                  "};\n\n/* What each op observed in the run aiospec judged on ", in_.target,
                  " (NULL: not reached). */\nstatic const char *const recorded[NOPS] = {\n    ",
                  absl::StrJoin(recorded, ",\n    "),
                  "};\n\n/* What the model of POSIX allows at FAIL_OP (or instead of failing_note). */\nstatic const char *const allowed[] = {",
                  absl::StrJoin(allowed, ", "),
                  "};\n\n/* How long each op may take before it counts as hung (ms). */\n"
                  "static const int op_bound_ms[NOPS] = {",
                  absl::StrJoin(bounds, ", "), "};\n\nstatic int progress_fd = -1;\n");
  if (helpers_.contains(CHelper::kFiles)) {
    std::vector<std::string> names;
    for (const std::string& f : trace_.file_names) names.push_back(CString(f));
    names.push_back("NULL");
    absl::StrAppend(&d, "static const char *const file_names[] = {", absl::StrJoin(names, ", "),
                    "};\n");
  }
  return d;
}

absl::StatusOr<std::string> Emitter::Emit() {
  const CheckResult& r = *in_.result;
  if (r.verdict != Verdict::kFail && r.verdict != Verdict::kHang && r.verdict != Verdict::kCrash) {
    return absl::FailedPreconditionError(absl::StrCat(
        "nothing to reproduce: the verdict is ", VerdictName(r.verdict), " on ", in_.target));
  }
  if (r.verdict == Verdict::kFail && (!r.failure.has_value() || r.failure->op_index < 0)) {
    return absl::UnimplementedError("the FAIL names no op to judge");
  }
  if (UsesThreadsOrMasks(trace_)) {
    return absl::UnimplementedError(
        "the C reproducer does not replay threads, signal masks or chosen "
        "notification signals (version 2 traces): rerun the trace with "
        "aiospec run");
  }
  for (int k = 0; k < static_cast<int>(trace_.ops.size()); ++k) EmitOp(k, trace_.ops[k]);
  std::string c = Header();
  absl::StrAppend(&c,
                  "#define _GNU_SOURCE\n#include <aio.h>\n#include <errno.h>\n#include <fcntl.h>\n"
                  "#include <poll.h>\n#include <signal.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                  "#include <string.h>\n#include <sys/socket.h>\n#include <sys/stat.h>\n"
                  "#include <sys/wait.h>\n#include <time.h>\n#include <unistd.h>\n",
                  helpers_.contains(CHelper::kHold) || helpers_.contains(CHelper::kExec) ||
                          helpers_.contains(CHelper::kStorm)
                      ? "#include <pthread.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n"
                        "#include <sys/mman.h>\n#include <sys/prctl.h>\n#include <sys/syscall.h>\n"
                        "#include <sys/uio.h>\n"
                      : "",
                  Data());
  for (CHelper h : helpers_) {
    if (h != CHelper::kWatchdog) c += std::string(CHelperText(h));
  }
  absl::StrAppend(&c, "\n/* ---- The scenario --------------------------------------------------------- */\n\n");
  for (size_t i = 0; i < trace_.fd_names.size(); ++i) {
    absl::StrAppend(&c, "static int ", Fd(static_cast<FdId>(i)), " = -1;\n");
  }
  for (const std::string& d : decls_) absl::StrAppend(&c, d, "\n");
  absl::StrAppend(&c, "\nstatic void scenario(void) {\n  long long ret;\n  int err;\n",
                  "  signal(SIGPIPE, SIG_IGN); /* a write to a closed pipe says EPIPE */\n",
                  holds_ ? "  hold_install(); /* before the first AIO call starts a thread */\n"
                         : "",
                  notify_ ? "  notify_begin();\n" : "", body_,
                  holds_ ? "\n  hold_release_all();\n" : "");
  std::string end = absl::StrCat("the run finished (the recorded run ",
                                 r.verdict == Verdict::kHang ? "hung" : "crashed", ")");
  if (r.verdict == Verdict::kFail && IsNotificationFinding(*r.failure)) {
    const int arrival = RejectedArrival(*in_.log, *r.failure);
    end = absl::StrCat("no notification like ", r.failure->observed, " arrived",
                       arrival > 1 ? absl::StrCat(" ", arrival, " times") : "");
  }
  absl::StrAppend(&c, "\n  if (FAIL_OP < 0) printf(\"%s\\n\", ", CString(absl::StrCat("PASS: ", end)),
                  ");\n}\n", std::string(CHelperText(CHelper::kWatchdog)));
  return c;
}

}  // namespace

std::string ReproBuildLine(const std::string& file) {
  return absl::StrCat("cc -std=c99 -pthread ", file, " -o repro -lrt && ./repro");
}

absl::StatusOr<std::string> EmitReproducer(const ReproInput& in) {
  if (in.trace == nullptr || in.log == nullptr || in.result == nullptr) {
    return absl::InvalidArgumentError("EmitReproducer needs a trace, a log and a result");
  }
  return Emitter(in).Emit();
}

}  // namespace aiospec
