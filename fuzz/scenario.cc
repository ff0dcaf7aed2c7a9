#include "fuzz/scenario.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

// Descriptors of the setting. A name stays bound to one open file
// description until a move closes it or dup2s onto it.
enum class Where { kFile, kPipeRead, kPipeWrite, kSockA, kSockB };

struct Request {
  std::string cb;
  Where where;
  // Submitted with a bad argument: it may fail synchronously, and then a
  // wait or aio_error on it is undefined (AIO-ERROR-05) and the run is
  // UNRESOLVED, so the ending polls it only now and then.
  bool doubtful = false;
  bool read = false;
};

class ScenarioBuilder {
 public:
  ScenarioBuilder(std::mt19937_64& rng, bool out_of_process)
      : rng_(rng), out_of_process_(out_of_process) {}

  std::string Build() {
    Setting();
    const int moves = Uniform(1, 8);
    // Out of process, a signal storm may start between moves (once there is
    // a request to watch): its handler then interrupts submissions, cancels
    // and closes too, not only waits.
    const int storm_at = out_of_process_ && Chance(40) ? Uniform(0, moves) : -1;
    for (int i = 0; i <= moves; ++i) {
      if (storm_at >= 0 && i >= storm_at && !storm_on_) handler_only_ = StormOn();
      if (i < moves) Move();
    }
    Ending();
    return absl::StrCat(absl::StrJoin(lines_, "\n"), "\n");
  }

 private:
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Uniform(0, static_cast<int>(items.size()) - 1)];
  }
  void Line(std::string line) { lines_.push_back(std::move(line)); }

  // Distinct letters per request, so the file and pipe contents show
  // whose bytes landed where.
  std::string Data(int n) {
    std::string out;
    const char letter = static_cast<char>('A' + data_counter_++ % 26);
    for (int i = 0; i < n; ++i) {
      out += i % 2 == 0 ? letter : static_cast<char>('a' + i % 26);
    }
    return out;
  }
  std::string Notify() {
    if (Chance(50)) return "";
    const int value = Chance(70) ? Uniform(1, 999) : Pick<int>({0, -1, 2147483647});
    return absl::StrCat(Chance(70) ? " notify=signal(" : " notify=thread(",
                        value, ")");
  }
  std::string NewCb() { return absl::StrCat("a", cb_counter_++); }

  const char* Name(Where w) const {
    switch (w) {
      case Where::kFile: return "d";
      case Where::kPipeRead: return "rd";
      case Where::kPipeWrite: return "wr";
      case Where::kSockA: return "sa";
      case Where::kSockB: return "sb";
    }
    return "d";
  }
  bool IsOpen(Where w) const {
    switch (w) {
      case Where::kFile: return file_open_;
      case Where::kPipeRead: return pipe_read_open_;
      case Where::kPipeWrite: return pipe_write_open_;
      case Where::kSockA:
      case Where::kSockB: return sockets_;
    }
    return false;
  }

  void Setting() {
    Line("aiospec-trace 1");
    Line(absl::StrCat("file f content=\"", std::string(Uniform(0, 16), '.'),
                      "\""));
    std::string flags = "rdwr";
    if (Chance(15)) flags += "+append";
    if (Chance(8)) flags += Chance(50) ? "+sync" : "+dsync";
    Line(absl::StrCat("open d f flags=", flags));
    file_open_ = true;
    if (Chance(75)) {
      Line("pipe rd wr");
      pipe_read_open_ = pipe_write_open_ = true;
    }
    if (Chance(15)) {
      Line("socketpair sa sb");
      sockets_ = true;
    }
  }

  // A read or write of `where`, as an aio call or (inside a list) an element.
  std::string Io(bool is_write, Where where, const std::string& cb) {
    const bool file = where == Where::kFile;
    const int offset = file ? Uniform(0, 12) : 0;
    if (is_write) {
      return absl::StrCat(cb, " fd=", Name(where), " offset=", offset,
                          " data=\"", Data(Uniform(1, 8)), "\"");
    }
    return absl::StrCat(cb, " fd=", Name(where), " offset=", offset,
                        " nbytes=", Uniform(1, 8));
  }

  void Submit(bool is_write, Where where) {
    if (!IsOpen(where)) where = Where::kFile;
    if (!IsOpen(where)) return;
    const std::string cb = NewCb();
    Line(absl::StrCat(is_write ? "aio_write " : "aio_read ",
                      Io(is_write, where, cb), Notify()));
    requests_.push_back({cb, where, /*doubtful=*/false, /*read=*/!is_write});
  }

  void Move() {
    switch (Uniform(0, 21)) {
      case 0: case 1: case 2: Submit(true, Where::kFile); return;
      case 3: case 4: Submit(false, Where::kFile); return;
      case 5: case 6: Submit(false, Where::kPipeRead); return;
      case 7:
        if (pipe_write_open_ && !pipe_full_ && Chance(40)) {
          Line("fill wr");
          pipe_full_ = true;
        }
        Submit(true, Where::kPipeWrite);
        return;
      case 8:
        if (sockets_) {
          Submit(Chance(50), Chance(50) ? Where::kSockA : Where::kSockB);
        } else {
          Submit(false, Where::kPipeRead);
        }
        return;
      case 9: Fsync(); return;
      case 10: case 11: Lio(); return;
      case 12: case 13: Cancel(); return;
      case 14: CloseOrReuse(); return;
      case 15: Poll(); return;
      case 16:
        if (pipe_write_open_ && !pipe_full_) {
          Line(absl::StrCat("write wr data=\"", Data(Uniform(1, 12)), "\""));
        }
        return;
      case 17: BadArgument(); return;
      case 18: Resubmit(); return;
      case 19: Burst(); return;
      case 20:
        if (out_of_process_) {
          ChildRequest();
          return;
        }
        Poll();
        return;
      default: Poll(); return;
    }
  }

  // Requests submitted back to back, so the later ones meet the earlier
  // ones still queued or running, where ordering and cancel bugs show
  // without a hold: a large write (tens of microseconds of work) and a
  // small overlapping write, read, fsync or LIO_WAIT list right behind it,
  // each polled at once; or several pipe writes, or reads blocked on the
  // empty pipe and cancelled together.
  void Burst() {
    if (pipe_read_open_ && pipe_write_open_ && !pipe_full_ && Chance(30)) {
      std::vector<std::string> cbs;
      const bool reads = Chance(50);
      for (int n = Uniform(2, 4); n > 0; --n) {
        const std::string cb = NewCb();
        if (reads) {
          Line(absl::StrCat("aio_read ", Io(false, Where::kPipeRead, cb), Notify()));
        } else {  // up to PIPE_BUF: atomic, but in submission order?
          Line(absl::StrCat("aio_write ", cb, " fd=wr offset=0 data=\"",
                            std::string(1, static_cast<char>('A' + data_counter_++ % 26)),
                            "\"*", Uniform(1, 8) << 9, Notify()));
        }
        requests_.push_back({cb, reads ? Where::kPipeRead : Where::kPipeWrite});
        cbs.push_back(cb);
      }
      Line(reads ? "aio_cancel rd null" : "drain rd");
      for (const std::string& cb : cbs) Line(absl::StrCat("aio_error ", cb));
      return;
    }
    if (!file_open_) return;
    const std::string big = NewCb();
    const int size = Uniform(16, 64) << 10;
    Line(absl::StrCat("aio_write ", big, " fd=d offset=0 data=\"",
                      std::string(1, static_cast<char>('A' + data_counter_++ % 26)),
                      "\"*", size, Notify()));
    requests_.push_back({big, Where::kFile});
    const std::string next = NewCb();
    const int offset = Uniform(0, size - 8);
    switch (Uniform(0, 3)) {
      case 0:
        Line(absl::StrCat("aio_write ", next, " fd=d offset=", offset,
                          " data=\"", Data(Uniform(1, 8)), "\"", Notify()));
        break;
      case 1:
        Line(absl::StrCat("aio_read ", next, " fd=d offset=", offset,
                          " nbytes=", Uniform(1, 8), Notify()));
        break;
      case 2:
        Line(absl::StrCat("aio_fsync ", next, " fd=d", Notify()));
        break;
      default:
        Line(absl::StrCat("lio_listio wait [write ", next, " fd=d offset=",
                          offset, " data=\"", Data(Uniform(1, 8)), "\"]"));
        break;
    }
    requests_.push_back({next, Where::kFile});
    Line(absl::StrCat("aio_error ", next));
    Line(absl::StrCat("aio_error ", big));
  }

  void Fsync() {
    if (!file_open_) return;
    const std::string cb = NewCb();
    const bool invalid = Chance(9);
    const char* op = invalid ? " op=invalid" : Chance(33) ? " op=dsync" : "";
    Line(absl::StrCat("aio_fsync ", cb, " fd=d", op, Notify()));
    requests_.push_back({cb, Where::kFile, /*doubtful=*/invalid});
  }

  void Lio() {
    // LIO_WAIT only on the file: a blocked pipe element would block the
    // call (the guardrails would turn it into LIO_NOWAIT anyway).
    if (!file_open_) return;
    const bool wait = Chance(50);
    std::vector<std::string> elements;
    for (int n = Uniform(1, 4); n > 0; --n) {
      const int kind = Uniform(0, 9);
      if (kind == 0) {
        elements.push_back("null");
        continue;
      }
      Where where = Where::kFile;
      if (!wait && kind >= 7 && pipe_read_open_) where = Where::kPipeRead;
      const std::string cb = NewCb();
      if (kind == 1) {
        elements.push_back(absl::StrCat("nop ", cb, " fd=d"));
        continue;
      }
      const bool is_write = where == Where::kFile && kind <= 4;
      elements.push_back(absl::StrCat(is_write ? "write " : "read ",
                                      Io(is_write, where, cb)));
      requests_.push_back({cb, where});
    }
    Line(absl::StrCat("lio_listio ", wait ? "wait" : "nowait", " [",
                      absl::StrJoin(elements, "; "), "]",
                      wait ? "" : Notify()));
  }

  void Cancel() {
    std::vector<Where> fds = {Where::kFile};
    if (pipe_read_open_) fds.push_back(Where::kPipeRead);
    if (pipe_write_open_) fds.push_back(Where::kPipeWrite);
    if (Chance(10)) {
      Line("aio_cancel badfd null");
      return;
    }
    const Where fd = Pick(fds);
    if (!IsOpen(fd)) return;
    std::vector<std::string> mine;
    for (const Request& r : requests_) {
      if (r.where == fd) mine.push_back(r.cb);
    }
    const std::string which = mine.empty() || Chance(60) ? "null" : Pick(mine);
    Line(absl::StrCat("aio_cancel ", Name(fd), " ", which));
  }

  // Close of a busy descriptor, the number reused at once, or dup2 onto it.
  void CloseOrReuse() {
    if (pipe_read_open_ && Chance(70)) {
      if (file_open_ && Chance(30)) {
        Line("dup2 d rd");  // rd now names the file
      } else {
        Line("close rd");
        if (Chance(60)) Line("open n f flags=rdwr");  // takes rd's number
      }
      pipe_read_open_ = false;
      return;
    }
    if (file_open_ && Chance(50)) {
      Line("close d");
      file_open_ = false;
      if (Chance(60)) {
        Line("pipe d q");  // d's number back, now a pipe's read end
      }
      return;
    }
    if (file_open_ && !dup_open_) {
      Line("dup e d");  // a second descriptor on the file: its close must
      dup_open_ = true;  // not cancel d's requests
    } else if (dup_open_) {
      Line("close e");
      dup_open_ = false;
    }
  }

  void Poll() {
    if (requests_.empty()) return;
    const std::string& cb = Pick(requests_).cb;
    switch (Uniform(0, 3)) {
      case 0: Line(absl::StrCat("aio_error ", cb)); return;
      case 1:
        Line(absl::StrCat("aio_suspend ", cb, Chance(50) ? " null" : "",
                          " timeout=", Chance(50) ? "0" : "1ms"));
        return;
      default: Line(absl::StrCat("wait ", cb, " timeout=1ms")); return;
    }
  }

  void BadArgument() {
    if (!file_open_) return;
    const std::string cb = NewCb();
    switch (Uniform(0, 5)) {
      case 0:
        Line(absl::StrCat("aio_write ", cb, " fd=d offset=0 data=\"x\" reqprio=",
                          Chance(50) ? -1 : 1000000));
        break;
      case 1:
        Line(absl::StrCat("aio_read ", cb, " fd=d offset=-1 nbytes=2"));
        break;
      case 2:
        Line(absl::StrCat("aio_read ", cb, " fd=d offset=0 nbytes=-1"));
        break;
      case 3:
        Line(absl::StrCat("lio_listio wait [write ", cb,
                          " fd=d offset=0 nbytes=-1]"));
        break;
      case 4:
        Line(absl::StrCat("aio_write ", cb, " fd=badfd offset=0 data=\"x\"",
                          Notify()));
        break;
      default:
        if (!read_only_open_) Line("open ro f flags=rdonly");
        read_only_open_ = true;
        Line(Chance(50) ? absl::StrCat("aio_fsync ", cb, " fd=ro")
                        : absl::StrCat("aio_write ", cb,
                                       " fd=ro offset=0 data=\"x\""));
        break;
    }
    requests_.push_back({cb, Where::kFile, /*doubtful=*/true});
  }

  // aio_return, then the same aiocb again: its status must be new.
  void Resubmit() {
    if (!file_open_) return;
    for (const Request& r : requests_) {
      if (r.where != Where::kFile) continue;
      Line(absl::StrCat("wait ", r.cb, " timeout=150ms"));
      Line(absl::StrCat("aio_return ", r.cb));
      Line(absl::StrCat("aio_write ", Io(true, Where::kFile, r.cb)));
      Line(absl::StrCat("aio_error ", r.cb));
      return;
    }
  }

  // The aiocbs among `cbs` last submitted with a notification.
  std::vector<std::string> Notifying(const std::vector<std::string>& cbs) const {
    absl::flat_hash_map<std::string, bool> last;
    for (const std::string& line : lines_) {
      const std::vector<std::string> words = absl::StrSplit(line, ' ');
      if (words.size() < 2 || (words[0] != "aio_read" &&
                               words[0] != "aio_write" && words[0] != "aio_fsync")) {
        continue;
      }
      last[words[1]] = absl::StrContains(line, " notify=");
    }
    std::vector<std::string> out;
    for (const std::string& cb : cbs) {
      if (auto it = last.find(cb); it != last.end() && it->second) out.push_back(cb);
    }
    return out;
  }

  // A signal storm (out of process only): its handler calls aio_error or
  // aio_suspend on requests while they complete, may aio_return some of
  // them, and may close the pipe's read end under its held reads. Returns
  // the aiocbs only the handler may name until `storm off` (the guardrails
  // drop later moves that name them).
  std::vector<std::string> StormOn() {
    std::vector<std::string> watched;
    for (const Request& r : requests_) {
      if (!r.doubtful && watched.size() < 4 && Chance(70)) watched.push_back(r.cb);
    }
    if (watched.empty()) return {};
    std::vector<std::string> returns;
    for (const std::string& cb : watched) {
      if (Chance(25)) returns.push_back(cb);
    }
    std::string line = absl::StrCat("storm on ", absl::StrJoin(watched, " "),
                                    " rate=", Pick<int>({200, 1000, 5000, 20000}),
                                    Pick<std::string>({"", " calls=error", " calls=suspend",
                                                       " calls=none"}));
    if (!returns.empty()) absl::StrAppend(&line, " returns=", absl::StrJoin(returns, "+"));
    if (pipe_read_open_ && Chance(20)) {
      absl::StrAppend(&line, " close=rd");
      pipe_read_open_ = false;
    }
    Line(std::move(line));
    storm_on_ = true;
    return returns;
  }

  // A child that submits one request on an inherited descriptor and then
  // calls _exit (or execs): the request may be lost or finish, never touch
  // the parent (AIO-PROC-07..13).
  void ChildRequest() {
    if (!file_open_ || child_) return;
    const bool exec = Chance(30);
    Line(absl::StrCat(exec ? "proc exec " : "proc exit ",
                      Chance(60) ? absl::StrCat("write ", Io(true, Where::kFile, NewCb()))
                                 : absl::StrCat("read ", Io(false, Where::kFile, NewCb()))));
    child_ = exec;
  }

  // A fork with requests in flight: the child inherits none of them; it
  // may aio_cancel(fd, NULL) on its copy of a descriptor, which finds
  // nothing (AIO-PROC-14..16).
  void Fork() {
    std::vector<std::string> reads;
    for (const Request& r : requests_) {
      if (r.read && !r.doubtful && reads.size() < 3) reads.push_back(r.cb);
    }
    std::string line = "proc fork";
    if (!reads.empty() && Chance(70)) {
      absl::StrAppend(&line, " watch=", absl::StrJoin(reads, "+"));
    }
    if (Chance(50)) {
      if (pipe_write_open_ && Chance(50)) {
        absl::StrAppend(&line, " cancel=wr");
      } else if (pipe_read_open_ && Chance(50)) {
        absl::StrAppend(&line, " cancel=rd");
      } else if (file_open_) {
        absl::StrAppend(&line, " cancel=d");
      }
    }
    Line(std::move(line));
    child_ = true;
  }

  void Ending() {
    if (child_) {
      Line("proc join");
      child_ = false;
    }
    if (out_of_process_ && !storm_on_ && Chance(25)) Fork();
    auto main_may_name = [&](const std::string& cb) {
      return std::find(handler_only_.begin(), handler_only_.end(), cb) ==
             handler_only_.end();
    };
    if (pipe_full_ && pipe_read_open_) Line("drain rd");
    if (pipe_write_open_) {
      Line(absl::StrCat("write wr data=\"", Data(24), "\""));
    }
    if (sockets_) Line(absl::StrCat("write sb data=\"", Data(16), "\""));
    std::vector<Request> polled;
    for (const Request& r : requests_) {
      if (!r.doubtful || Chance(30)) polled.push_back(r);
    }
    std::vector<std::string> file, stream;
    for (const Request& r : polled) {
      if (!r.doubtful && main_may_name(r.cb)) {
        (r.where == Where::kFile ? file : stream).push_back(r.cb);
      }
    }
    if (!file.empty()) {
      Line(absl::StrCat("wait ", absl::StrJoin(file, " "), " timeout=150ms"));
      // Every file request is done or cancelled now, and each owes its one
      // notification (AIO-SIG-14): a lost one shows only to a wait for it.
      std::vector<std::string> notified = Notifying(file);
      if (!notified.empty()) {
        Line(absl::StrCat("wait ", absl::StrJoin(notified, " "),
                          " until=notified timeout=150ms"));
      }
    }
    if (!stream.empty()) {
      // A poll: the short bound where the scenario runs (guardrails.h).
      GuardrailOptions where;
      where.out_of_process = out_of_process_;
      Line(absl::StrCat("wait ", absl::StrJoin(stream, " "), " timeout=",
                        PrintTimeout(Timeout{false, where.ShortWaitNanos()})));
    }
    if (storm_on_) Line("storm off");
    for (const Request& r : polled) {
      Line(absl::StrCat("aio_error ", r.cb));
      Line(absl::StrCat("aio_return ", r.cb));
    }
    if (pipe_read_open_ && Chance(50)) Line("drain rd");
    Line("readback f");
    if (child_) Line("proc join");
  }

  std::mt19937_64& rng_;
  std::vector<std::string> lines_;
  std::vector<Request> requests_;
  bool file_open_ = false, pipe_read_open_ = false, pipe_write_open_ = false;
  bool pipe_full_ = false, sockets_ = false;
  bool dup_open_ = false, read_only_open_ = false;
  const bool out_of_process_;
  bool storm_on_ = false;
  std::vector<std::string> handler_only_;  // the storm's returns= aiocbs
  bool child_ = false;  // a forked or exec'd child not joined yet
  int cb_counter_ = 0, data_counter_ = 0;
};

}  // namespace

std::string ScenarioText(std::mt19937_64& rng, bool out_of_process) {
  return ScenarioBuilder(rng, out_of_process).Build();
}

Trace ScenarioTrace(std::mt19937_64& rng, const GuardrailOptions& options) {
  absl::StatusOr<Trace> t =
      ParseTrace(ScenarioText(rng, options.out_of_process), "scenario");
  if (!t.ok()) return Trace{};  // scenario_test keeps this from happening
  return MakeRunnable(*std::move(t), options);
}

}  // namespace aiospec
