#include "fuzz/guardrails.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

// Where an aiocb is in its life, as far as the text of the trace can tell.
enum class CbState {
  kNever,     // never submitted (or last used by a `nop`, which resets it)
  kInFlight,  // submitted; may be EINPROGRESS
  kWaited,    // a `wait` covered it since the submission
  kReturned,  // aio_return'ed since the submission: free for reuse
};

// The timeout a repair gives a `wait` it inserts before an aio_return.
constexpr int64_t kInsertedWaitNanos = 100'000'000;

// One pass over the ops. In check mode it stops at the first violation; in
// repair mode it edits or drops the op and goes on. Either way the state it
// keeps is the state of the ops it let through.
class Walker {
 public:
  Walker(const Trace& in, const GuardrailOptions& options, bool repair)
      : options_(options), repair_(repair) {
    out_.version = in.version;
    out_.source = in.source;
    out_.covers = in.covers;
    out_.about = in.about;
    out_.file_names = in.file_names;
    out_.fd_names = in.fd_names;
    out_.cb_names = in.cb_names;
    file_declared_.assign(in.file_names.size(), false);
    fd_open_.assign(in.fd_names.size(), false);
    fd_stream_.assign(in.fd_names.size(), false);
    fd_end_.assign(in.fd_names.size(), kBoth);
    fd_gen_.assign(in.fd_names.size(), 0);
    cb_state_.assign(in.cb_names.size(), CbState::kNever);
    cb_fd_.assign(in.cb_names.size(), kNullHandle);
    cb_fd_gen_.assign(in.cb_names.size(), 0);
    cb_on_stream_.assign(in.cb_names.size(), false);
    cb_read_.assign(in.cb_names.size(), false);
    cb_named_.assign(in.cb_names.size(), false);
    cb_child_.assign(in.cb_names.size(), false);
  }

  // Check mode: the first violation, or OK.
  absl::Status Check(const Trace& in) {
    for (size_t i = 0; i < in.ops.size(); ++i) {
      if (static_cast<int>(i) >= options_.max_ops) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the trace has ", in.ops.size(), " ops; at most ",
            options_.max_ops, " run in fuzz mode"));
      }
      index_ = static_cast<int>(i);
      current_ = &in.ops[i];
      Op op = in.ops[i];
      Visit(op);
      if (!error_.ok()) return error_;
    }
    return absl::OkStatus();
  }

  Trace Repair(const Trace& in) {
    for (size_t i = 0; i < in.ops.size(); ++i) {
      index_ = static_cast<int>(i);
      current_ = &in.ops[i];
      Op op = in.ops[i];
      if (Visit(op)) out_.ops.push_back(std::move(op));
    }
    if (static_cast<int>(out_.ops.size()) > options_.max_ops) {
      // A prefix stays valid, once a storm left on is turned off and a
      // child left unjoined is joined.
      out_.ops.resize(options_.max_ops);
      while (!out_.ops.empty() &&
             out_.ops.size() + Closers().size() > static_cast<size_t>(options_.max_ops)) {
        out_.ops.pop_back();
      }
    }
    for (Op& op : Closers()) out_.ops.push_back(std::move(op));
    return std::move(out_);
  }

 private:
  // Records a violation. Returns true in check mode: the caller stops; in
  // repair mode the caller fixes the op and goes on.
  bool Violation(const std::string& why) {
    if (repair_) return false;
    if (error_.ok()) {
      error_ = absl::InvalidArgumentError(absl::StrCat(
          "op ", index_, " (", PrintOp(out_, *current_), "): ", why));
    }
    return true;
  }

  bool FdOpen(FdId fd) const {
    return fd >= 0 && fd < static_cast<FdId>(fd_open_.size()) && fd_open_[fd];
  }
  bool FdNew(FdId fd) const {
    return fd >= 0 && fd < static_cast<FdId>(fd_open_.size()) && !fd_open_[fd];
  }
  bool CallFdOk(FdId fd) const { return fd == kBadFd || FdOpen(fd); }
  bool IsStream(FdId fd) const { return FdOpen(fd) && fd_stream_[fd]; }
  bool CbValid(CbId cb) const {
    return cb >= 0 && cb < static_cast<CbId>(cb_state_.size());
  }
  bool FileValid(FileId f) const {
    return f >= 0 && f < static_cast<FileId>(file_declared_.size());
  }
  void OpenFd(FdId fd, bool stream, int end = kBoth) {
    fd_open_[fd] = true;
    fd_stream_[fd] = stream;
    fd_end_[fd] = end;
    ++fd_gen_[fd];
  }

  // A new aiocb name, unused by every handle kind.
  CbId FreshCb() {
    for (;;) {
      std::string name = absl::StrCat("g", fresh_++);
      auto used = [&](const std::vector<std::string>& names) {
        return std::find(names.begin(), names.end(), name) != names.end();
      };
      if (used(out_.cb_names) || used(out_.fd_names) ||
          used(out_.file_names)) {
        continue;
      }
      out_.cb_names.push_back(std::move(name));
      cb_state_.push_back(CbState::kNever);
      cb_fd_.push_back(kNullHandle);
      cb_fd_gen_.push_back(0);
      cb_on_stream_.push_back(false);
      cb_read_.push_back(false);
      cb_named_.push_back(false);
      cb_child_.push_back(false);
      return static_cast<CbId>(out_.cb_names.size() - 1);
    }
  }

  bool Submittable(CbId cb) const {
    return cb_state_[cb] == CbState::kNever ||
           cb_state_[cb] == CbState::kReturned;
  }
  void Submitted(CbId cb, FdId fd) {
    cb_state_[cb] = CbState::kInFlight;
    cb_fd_[cb] = fd;
    cb_fd_gen_[cb] = fd >= 0 ? fd_gen_[fd] : 0;
    cb_on_stream_[cb] = IsStream(fd);
    if (IsStream(fd)) any_stream_request_ = true;
  }
  bool Queryable(CbId cb) const {
    return CbValid(cb) && cb_state_[cb] != CbState::kNever;
  }

  // True, and counted, when a wait on `cbs` may be long: none of them is
  // on a pipe or socket (where the trace may hold it on purpose), and the
  // trace has long waits left.
  bool TakeLongWait(const std::vector<CbId>& cbs) {
    for (CbId cb : cbs) {
      if (cb != kNullHandle && CbValid(cb) && cb_on_stream_[cb]) return false;
    }
    if (long_waits_ >= options_.max_long_waits) return false;
    ++long_waits_;
    return true;
  }

  int64_t ClampTimeout(Timeout& t, bool allow_negative) {
    if (t.infinite) {
      t = Timeout{false, std::min<int64_t>(options_.max_wait_nanos, 1'000'000)};
    }
    if (t.nanos > options_.max_wait_nanos) t.nanos = options_.max_wait_nanos;
    if (!allow_negative && t.nanos < 0) t.nanos = 0;
    return t.nanos;
  }

  // Sizes and offsets of a read or write; false: stop (check mode).
  bool CheckRequest(IoRequest& req, bool is_write) {
    const int64_t max = options_.max_io_bytes;
    // A negative nbytes is a size_t above SSIZE_MAX (AIO-READ-17,
    // AIO-WRITE-15): it stays, since the kernel refuses such a range as a
    // whole (EFAULT) before it moves a byte, so even an implementation that
    // skips the check cannot overrun the executor's one-byte buffer.
    if (req.nbytes > max) {
      if (Violation(absl::StrCat("nbytes above ", max))) return false;
      req.nbytes = max;
    }
    if (req.data.has_value() && static_cast<int64_t>(req.data->size()) > max) {
      if (Violation(absl::StrCat("data above ", max, " bytes"))) return false;
      req.data->resize(max);
    }
    if (is_write && req.offset >= 0 && req.nbytes >= 0 &&
        req.offset != std::numeric_limits<int64_t>::max() &&
        req.offset > options_.max_file_bytes - req.nbytes) {
      if (Violation(absl::StrCat("a write past offset ",
                                 options_.max_file_bytes))) {
        return false;
      }
      req.offset %= std::max<int64_t>(1, options_.max_file_bytes - req.nbytes);
    }
    return true;
  }

  // One op; returns whether it is kept. In check mode a violation sets
  // error_ (the return value then does not matter).
  bool Visit(Op& op) {
    if (op.run != RunOn::kMain) {
      Violation("runs on a thread (threads are not fuzzed)");
      return false;
    }
    if (!KeepsStormRules(op.body) || !KeepsChildAiocbs(op.body)) return false;
    if (!std::visit([&](auto& body) { return Apply(op, body); }, op.body)) {
      return false;
    }
    for (const auto& [cb, submits] : NamedCbs(op.body)) cb_named_[cb] = true;
    return true;
  }

  // The ops that end what the kept ops left open: `storm off` for a storm
  // that is on, `proc join` for a child not joined.
  std::vector<Op> Closers() const {
    bool storm_on = false;
    bool child = false;
    for (const Op& op : out_.ops) {
      if (const auto* st = std::get_if<Storm>(&op.body)) storm_on = st->on;
      if (const auto* p = std::get_if<Proc>(&op.body)) {
        if (p->kind == ProcKind::kFork || p->kind == ProcKind::kExec) child = true;
        if (p->kind == ProcKind::kJoin) child = false;
      }
    }
    std::vector<Op> closers;
    if (storm_on) closers.push_back(Op{Storm{}, {}});
    if (child) {
      Proc join;
      join.kind = ProcKind::kJoin;
      closers.push_back(Op{join, {}});
    }
    return closers;
  }

  // The aiocbs an op names, each with whether the op submits it. A
  // `proc exit`/`proc exec` names its child's aiocb, which is not the
  // parent's.
  static std::vector<std::pair<CbId, bool>> NamedCbs(const OpBody& body) {
    std::vector<std::pair<CbId, bool>> named;
    auto add = [&](CbId cb, bool submits) {
      if (cb != kNullHandle) named.emplace_back(cb, submits);
    };
    std::visit(
        [&](const auto& op) {
          using T = std::decay_t<decltype(op)>;
          if constexpr (std::is_same_v<T, AioRead> || std::is_same_v<T, AioWrite>) {
            add(op.req.cb, true);
          } else if constexpr (std::is_same_v<T, AioFsync>) {
            add(op.cb, true);
          } else if constexpr (std::is_same_v<T, LioListio>) {
            for (const LioElement& e : op.list) {
              if (!e.is_null) add(e.req.cb, true);
            }
          } else if constexpr (std::is_same_v<T, AioError> ||
                               std::is_same_v<T, AioReturn> ||
                               std::is_same_v<T, AioCancel>) {
            add(op.cb, false);
          } else if constexpr (std::is_same_v<T, AioSuspend>) {
            for (CbId cb : op.list) add(cb, false);
          } else if constexpr (std::is_same_v<T, Wait>) {
            for (CbId cb : op.cbs) add(cb, false);
          } else if constexpr (std::is_same_v<T, Storm>) {
            for (CbId cb : op.cbs) add(cb, false);
          } else if constexpr (std::is_same_v<T, Proc>) {
            for (CbId cb : op.watch) add(cb, false);
          }
        },
        body);
    return named;
  }

  // A `proc exit`/`proc exec` aiocb is the child's: no other op names it
  // (AIO-PROC-15; the parser's rule).
  bool KeepsChildAiocbs(const OpBody& body) {
    for (const auto& [cb, submits] : NamedCbs(body)) {
      if (CbValid(cb) && cb_child_[cb]) {
        Violation("names the aiocb of a proc exit or exec child");
        return false;
      }
    }
    return true;
  }

  // While a storm is on its handler may use its aiocbs at any moment: the
  // main thread must not resubmit a watched one, nor name one the handler
  // may aio_return (the parser's rules, trace.h). An op that would is
  // dropped, and so is a process event (a fork mid-storm is left to
  // conformance traces) or a hold.
  bool KeepsStormRules(const OpBody& body) {
    if (!storm_.has_value() || std::holds_alternative<Storm>(body)) return true;
    auto in = [](const std::vector<CbId>& cbs, CbId cb) {
      return std::find(cbs.begin(), cbs.end(), cb) != cbs.end();
    };
    bool ok = !std::holds_alternative<Proc>(body) && !std::holds_alternative<Hold>(body);
    for (const auto& [cb, submits] : NamedCbs(body)) {
      ok = ok && !in(submits ? storm_->cbs : storm_->returns, cb);
    }
    if (!ok) Violation("uses an aiocb of the storm that is on, or forks under it");
    return ok;
  }

  bool Apply(Op&, DeclareFile& b) {
    if (!FileValid(b.file) || file_declared_[b.file]) {
      Violation("file declared twice or unknown");
      return false;
    }
    if (static_cast<int64_t>(b.content.size()) > options_.max_io_bytes) {
      if (Violation("file content too large")) return false;
      b.content.resize(options_.max_io_bytes);
    }
    file_declared_[b.file] = true;
    return true;
  }
  bool Apply(Op&, DeclarePipe& b) {
    return Pair(b.read_end, b.write_end, kReadEnd, kWriteEnd);
  }
  bool Apply(Op&, DeclareSocketpair& b) { return Pair(b.a, b.b, kBoth, kBoth); }
  bool Pair(FdId a, FdId b, int a_end, int b_end) {
    if (!FdNew(a) || !FdNew(b) || a == b) {
      Violation("opens a descriptor that is open");
      return false;
    }
    OpenFd(a, true, a_end);
    OpenFd(b, true, b_end);
    return true;
  }
  bool Apply(Op&, Open& b) {
    if (!FdNew(b.fd) || !FileValid(b.file) || !file_declared_[b.file]) {
      Violation("descriptor open or file undeclared");
      return false;
    }
    // Holds install a seccomp filter for the life of the executing process
    // (the fuzzer, in process): the flag is dropped, and the hold ops.
    if (b.flags & kFlagHold) {
      b.flags &= ~kFlagHold;
      Violation("open flags=...+hold (holds are not fuzzed)");
    }
    OpenFd(b.fd, false);
    return true;
  }
  bool Apply(Op&, Close& b) {
    if (!FdOpen(b.fd)) {
      Violation("closes a descriptor that is not open");
      return false;
    }
    fd_open_[b.fd] = false;
    return true;
  }
  bool Apply(Op&, Dup& b) {
    if (!FdOpen(b.old_fd) || !FdNew(b.new_fd)) {
      Violation("dup of a closed descriptor, or onto an open one");
      return false;
    }
    OpenFd(b.new_fd, fd_stream_[b.old_fd], fd_end_[b.old_fd]);
    return true;
  }
  bool Apply(Op&, Dup2& b) {
    if (!FdOpen(b.old_fd) || b.target < 0 ||
        b.target >= static_cast<FdId>(fd_open_.size())) {
      Violation("dup2 of a closed descriptor");
      return false;
    }
    if (b.target != b.old_fd) {
      OpenFd(b.target, fd_stream_[b.old_fd], fd_end_[b.old_fd]);
    }
    return true;
  }
  bool Apply(Op&, AioRead& b) { return Io(b.req, /*is_write=*/false); }
  bool Apply(Op&, AioWrite& b) { return Io(b.req, /*is_write=*/true); }
  bool Io(IoRequest& req, bool is_write) {
    if (!CallFdOk(req.fd) || !CbValid(req.cb)) {
      Violation("descriptor not open");
      return false;
    }
    if (!CheckRequest(req, is_write)) return false;
    if (!Submittable(req.cb)) {
      if (Violation("resubmits an aiocb that may be in flight (AIO-READ-11)")) {
        return false;
      }
      req.cb = FreshCb();
    }
    Submitted(req.cb, req.fd);
    cb_read_[req.cb] = !is_write;
    return true;
  }
  bool Apply(Op&, AioFsync& b) {
    if (!CallFdOk(b.fd) || !CbValid(b.cb)) {
      Violation("descriptor not open");
      return false;
    }
    if (!Submittable(b.cb)) {
      if (Violation("resubmits an aiocb that may be in flight (AIO-READ-11)")) {
        return false;
      }
      b.cb = FreshCb();
    }
    Submitted(b.cb, b.fd);
    return true;
  }
  bool Apply(Op&, AioError& b) {
    if (!Queryable(b.cb)) {
      Violation("aio_error on an aiocb never submitted (AIO-ERROR-05)");
      return false;
    }
    return true;
  }
  bool Apply(Op&, AioReturn& b) {
    // A scribbled aiocb is garbage until resubmitted, a rule these repairs
    // (drops, reorders) do not keep: the fuzzer does not scribble.
    b.scribble = false;
    if (!Queryable(b.cb)) {
      Violation("aio_return on an aiocb never submitted (AIO-ERROR-05)");
      return false;
    }
    if (cb_state_[b.cb] == CbState::kInFlight) {
      if (Violation("aio_return without a wait on it since its submission "
                    "(AIO-RETURN-02)")) {
        return false;
      }
      Wait wait;
      wait.cbs = {b.cb};
      // Long when it may be, so a held request still gets to finish.
      wait.timeout = Timeout{
          false, TakeLongWait({b.cb})
                     ? std::min(kInsertedWaitNanos, options_.max_wait_nanos)
                     : options_.ShortWaitNanos()};
      out_.ops.push_back(Op{std::move(wait), {}});
    }
    cb_state_[b.cb] = CbState::kReturned;
    return true;
  }
  bool Apply(Op&, AioSuspend& b) {
    std::vector<CbId> kept;
    bool any = false;
    for (CbId cb : b.list) {
      if (cb == kNullHandle) {
        kept.push_back(cb);
        continue;
      }
      if (!Queryable(cb)) {
        if (Violation("aio_suspend on an aiocb never submitted "
                      "(AIO-SUSP-04)")) {
          return false;
        }
        continue;
      }
      any = true;
      kept.push_back(cb);
    }
    if (!any) {
      Violation("aio_suspend with no aiocb listed (AIO-SUSP-15)");
      return false;
    }
    b.list = std::move(kept);
    // In process a negative timeout could abort the fuzzer with the
    // library (glibc 2.36 asserts on it; the result is unspecified,
    // AIO-SUSP-16): only an agent process gets one.
    if (!options_.out_of_process && !b.timeout.infinite && b.timeout.nanos < 0) {
      if (Violation("a negative aio_suspend timeout in process (AIO-SUSP-16)")) {
        return false;
      }
      b.timeout.nanos = 0;
    }
    if (b.timeout.infinite || b.timeout.nanos > options_.max_wait_nanos) {
      if (Violation("aio_suspend without a short bound")) return false;
      ClampTimeout(b.timeout, /*allow_negative=*/true);
    }
    if (b.timeout.nanos > options_.ShortWaitNanos() && !TakeLongWait(b.list)) {
      if (Violation(absl::StrCat("a long timeout on a request on a pipe or "
                                 "socket, or more than ",
                                 options_.max_long_waits, " long waits"))) {
        return false;
      }
      b.timeout.nanos = options_.ShortWaitNanos();
    }
    return true;
  }
  bool Apply(Op&, AioCancel& b) {
    if (!CallFdOk(b.fd)) {
      Violation("descriptor not open");
      return false;
    }
    if (b.cb == kNullHandle) return true;
    if (!Queryable(b.cb)) {
      if (Violation("aio_cancel of an aiocb never submitted (AIO-ERROR-05)")) {
        return false;
      }
      b.cb = kNullHandle;
      return true;
    }
    const FdId sub = cb_fd_[b.cb];
    const bool same = sub >= 0 && b.fd == sub && FdOpen(sub) &&
                      fd_gen_[sub] == cb_fd_gen_[b.cb];
    if (!same) {
      if (Violation("aio_cancel names another descriptor than the aiocb's "
                    "(unspecified: AIO-CANCEL-08)")) {
        return false;
      }
      if (sub >= 0 && FdOpen(sub) && fd_gen_[sub] == cb_fd_gen_[b.cb]) {
        b.fd = sub;
      } else {
        b.cb = kNullHandle;
      }
    }
    return true;
  }
  bool Apply(Op&, LioListio& b) {
    std::vector<LioElement> kept;
    std::vector<CbId> listed;
    int requests = 0;
    bool on_stream = false;
    for (LioElement& e : b.list) {
      if (e.is_null) {
        kept.push_back(std::move(e));
        continue;
      }
      const bool nop = e.opcode == LioOpcode::kNop;
      const bool fd_ok = nop ? (e.req.fd == kNullHandle || CallFdOk(e.req.fd))
                             : CallFdOk(e.req.fd);
      if (!fd_ok || !CbValid(e.req.cb)) {
        Violation("descriptor not open");
        if (!repair_) return false;
        continue;
      }
      if (!nop) {
        if (requests == options_.max_lio_requests) {
          if (Violation("too many requests in one lio_listio")) return false;
          continue;
        }
        ++requests;
        if (!CheckRequest(e.req, e.opcode == LioOpcode::kWrite)) return false;
        if (IsStream(e.req.fd)) on_stream = true;
      }
      const bool twice =
          std::find(listed.begin(), listed.end(), e.req.cb) != listed.end();
      if (!Submittable(e.req.cb) || twice) {
        if (Violation("resubmits an aiocb that may be in flight, or lists "
                      "one twice (AIO-READ-11)")) {
          return false;
        }
        e.req.cb = FreshCb();
      }
      listed.push_back(e.req.cb);
      kept.push_back(std::move(e));
    }
    if (b.wait && (on_stream || any_stream_request_)) {
      if (Violation("lio_listio wait with a pipe or socket in play could "
                    "block forever")) {
        return false;
      }
      b.wait = false;
    }
    b.list = std::move(kept);
    for (const LioElement& e : b.list) {
      if (e.is_null) continue;
      if (e.opcode == LioOpcode::kNop) {
        cb_state_[e.req.cb] = CbState::kNever;  // the executor resets it
      } else {
        Submitted(e.req.cb, e.req.fd);
      }
    }
    return true;
  }
  bool Apply(Op&, Fill& b) {
    if (!IsStream(b.fd) || fd_end_[b.fd] == kReadEnd) {
      Violation("fill on a closed descriptor, a regular file or a pipe's "
                "read end");
      return false;
    }
    return true;
  }
  bool Apply(Op&, Drain& b) {
    if (!FdOpen(b.fd) || fd_end_[b.fd] == kWriteEnd) {
      Violation("drain on a closed descriptor or a pipe's write end");
      return false;
    }
    return true;
  }
  bool Apply(Op&, Write& b) {
    if (!FdOpen(b.fd) || fd_end_[b.fd] == kReadEnd) {
      Violation("write on a closed descriptor or a pipe's read end");
      return false;
    }
    if (static_cast<int64_t>(b.data.size()) > options_.max_io_bytes) {
      if (Violation("write data too large")) return false;
      b.data.resize(options_.max_io_bytes);
    }
    return true;
  }
  bool Apply(Op&, Readback& b) {
    if (!FileValid(b.file) || !file_declared_[b.file]) {
      Violation("file undeclared");
      return false;
    }
    return true;
  }
  // Storms signal the executing thread: only an agent process may have
  // them; in process they would storm the fuzzer itself.
  bool Apply(Op&, Storm& b) {
    if (!options_.out_of_process) {
      Violation("storm (signal storms are fuzzed only out of process)");
      return false;
    }
    if (!b.on) {
      if (!storm_.has_value()) {
        Violation("storm off without a storm on");
        return false;
      }
      // The handler may have returned these: none is free for reuse until
      // a wait and an aio_return of the main thread's own.
      for (CbId cb : storm_->returns) {
        if (cb_state_[cb] != CbState::kNever) cb_state_[cb] = CbState::kInFlight;
      }
      storm_.reset();
      return true;
    }
    if (storm_.has_value()) {
      Violation("storm on while a storm is on");
      return false;
    }
    std::vector<CbId> watched;
    for (CbId cb : b.cbs) {
      if (Queryable(cb)) {
        watched.push_back(cb);
      } else if (Violation("a storm watches an aiocb never submitted "
                           "(AIO-ERROR-05)")) {
        return false;
      }
    }
    if (watched.empty()) return false;
    std::erase_if(b.returns, [&](CbId cb) {
      return std::find(watched.begin(), watched.end(), cb) == watched.end();
    });
    b.cbs = std::move(watched);
    if (b.rate_hz > options_.max_storm_rate_hz) {
      if (Violation(absl::StrCat("storm rate above ", options_.max_storm_rate_hz,
                                 " Hz"))) {
        return false;
      }
      b.rate_hz = options_.max_storm_rate_hz;
    }
    if (b.close_fd != kNullHandle) {
      if (!FdOpen(b.close_fd)) {
        if (Violation("a storm closes a descriptor that is not open")) return false;
        b.close_fd = kNullHandle;
      } else {
        fd_open_[b.close_fd] = false;
      }
    }
    storm_ = b;
    return true;
  }
  // Process events fork the executing process: only an agent process may
  // have them; in process they would fork the fuzzer itself.
  bool Apply(Op&, Proc& b) {
    if (!options_.out_of_process) {
      Violation("proc (process events are fuzzed only out of process)");
      return false;
    }
    switch (b.kind) {
      case ProcKind::kJoin:
        if (!child_) {
          Violation("proc join without a child");
          return false;
        }
        child_ = false;
        return true;
      case ProcKind::kFork: {
        if (child_) {
          Violation("proc fork while a child is not joined");
          return false;
        }
        // The child compares the buffers of reads it inherited in flight.
        const size_t watched = b.watch.size();
        std::erase_if(b.watch, [&](CbId cb) { return !Queryable(cb) || !cb_read_[cb]; });
        if (b.watch.size() != watched &&
            Violation("proc fork watches an aiocb that is not a submitted read")) {
          return false;
        }
        if (b.cancel_fd != kNullHandle && !FdOpen(b.cancel_fd)) {
          if (Violation("proc fork cancel= names a descriptor not open")) return false;
          b.cancel_fd = kNullHandle;
        }
        child_ = true;
        return true;
      }
      case ProcKind::kExit:
      case ProcKind::kExec:
        if (b.kind == ProcKind::kExec && child_) {
          Violation("proc exec while a child is not joined");
          return false;
        }
        if (!FdOpen(b.req.fd) || !CbValid(b.req.cb)) {
          Violation("the child's request names a descriptor not open");
          return false;
        }
        if (!CheckRequest(b.req, b.write)) return false;
        if (cb_named_[b.req.cb]) {
          if (Violation("the child's aiocb is named before")) return false;
          b.req.cb = FreshCb();
        }
        cb_child_[b.req.cb] = true;
        if (b.kind == ProcKind::kExec) child_ = true;
        return true;
    }
    return false;
  }
  bool Apply(Op&, Hold&) {
    Violation("hold (holds are not fuzzed)");
    return false;
  }
  bool Apply(Op&, ThreadOp&) {
    Violation("thread op (threads are not fuzzed)");
    return false;
  }
  bool Apply(Op&, Sigmask&) {
    Violation("sigmask (signal masks are not fuzzed)");
    return false;
  }
  bool Apply(Op&, Wait& b) {
    std::vector<CbId> kept;
    for (CbId cb : b.cbs) {
      if (!Queryable(cb)) {
        if (Violation("wait on an aiocb never submitted (AIO-ERROR-05)")) {
          return false;
        }
        continue;
      }
      kept.push_back(cb);
    }
    if (kept.empty()) {
      Violation("wait with nothing to wait for");
      return false;
    }
    b.cbs = std::move(kept);
    const bool is_short = !b.timeout.infinite && b.timeout.nanos >= 0 &&
                          b.timeout.nanos <= options_.ShortWaitNanos();
    const bool is_long = !b.timeout.infinite &&
                         b.timeout.nanos >= options_.min_wait_nanos &&
                         b.timeout.nanos <= options_.max_wait_nanos;
    if (!is_short && !(is_long && TakeLongWait(b.cbs))) {
      if (Violation(absl::StrCat(
              "wait bound neither short (<= ",
              PrintTimeout(Timeout{false, options_.ShortWaitNanos()}),
              ") nor one of ",
              options_.max_long_waits, " long ones in [",
              options_.min_wait_nanos / 1'000'000, "ms, ",
              options_.max_wait_nanos / 1'000'000,
              "ms] on requests to regular files"))) {
        return false;
      }
      if (!is_long && TakeLongWait(b.cbs)) {
        ClampTimeout(b.timeout, /*allow_negative=*/false);
        b.timeout.nanos = std::max(b.timeout.nanos, options_.min_wait_nanos);
      } else {
        b.timeout = Timeout{false, options_.ShortWaitNanos()};
      }
    }
    for (CbId cb : b.cbs) {
      if (cb_state_[cb] == CbState::kInFlight) cb_state_[cb] = CbState::kWaited;
    }
    return true;
  }

  const GuardrailOptions& options_;
  int long_waits_ = 0;
  const bool repair_;
  Trace out_;
  absl::Status error_;
  int index_ = 0;
  const Op* current_ = nullptr;
  int fresh_ = 0;
  bool any_stream_request_ = false;
  std::optional<Storm> storm_;  // the storm that is on, if any
  bool child_ = false;          // a forked or exec'd child not joined yet
  std::vector<bool> file_declared_;
  // Which way a descriptor goes: the helpers `fill`, `drain` and `write`
  // are only used the way the pipe goes (the model does not cover the
  // others, and they test nothing about AIO).
  static constexpr int kBoth = 0, kReadEnd = 1, kWriteEnd = 2;
  std::vector<bool> fd_open_, fd_stream_;
  std::vector<int> fd_end_;
  std::vector<int> fd_gen_;
  std::vector<CbState> cb_state_;
  std::vector<FdId> cb_fd_;
  std::vector<int> cb_fd_gen_;
  std::vector<bool> cb_on_stream_;  // submitted on a pipe or socket
  std::vector<bool> cb_read_;       // last submitted as a read
  std::vector<bool> cb_named_;      // named by an op kept so far
  std::vector<bool> cb_child_;      // a proc exit/exec child's aiocb
};

}  // namespace

absl::Status CheckRunnable(const Trace& trace,
                           const GuardrailOptions& options) {
  return Walker(trace, options, /*repair=*/false).Check(trace);
}

Trace MakeRunnable(Trace trace, const GuardrailOptions& options) {
  Trace repaired = Walker(trace, options, /*repair=*/true).Repair(trace);
  // Print and parse: name tables in order of first use, unused names gone,
  // and a last check that the repair kept the parser's invariants.
  absl::StatusOr<Trace> canonical =
      ParseTrace(PrintTrace(repaired), repaired.source);
  if (!canonical.ok()) {
    Trace empty;
    empty.source = trace.source;
    return empty;
  }
  // Repairs interact (a dropped `open` orphans later ops): settle.
  for (int round = 0; round < 4 && !CheckRunnable(*canonical, options).ok();
       ++round) {
    Trace again = Walker(*canonical, options, /*repair=*/true).Repair(*canonical);
    canonical = ParseTrace(PrintTrace(again), again.source);
    if (!canonical.ok()) {
      Trace empty;
      empty.source = trace.source;
      return empty;
    }
  }
  return *std::move(canonical);
}

absl::Status CheckRunPreconditions(const Trace& trace,
                                   const ObservationLog& log) {
  // For each aiocb: did the last wait on it since its submission see it
  // finish?
  std::vector<std::optional<bool>> waited(trace.cb_names.size());
  auto submitted = [&](CbId cb) {
    if (cb >= 0 && cb < static_cast<CbId>(waited.size())) waited[cb].reset();
  };
  const size_t n = std::min(trace.ops.size(), log.steps.size());
  for (size_t i = 0; i < n; ++i) {
    const OpBody& body = trace.ops[i].body;
    if (const auto* r = std::get_if<AioRead>(&body)) submitted(r->req.cb);
    if (const auto* w = std::get_if<AioWrite>(&body)) submitted(w->req.cb);
    if (const auto* f = std::get_if<AioFsync>(&body)) submitted(f->cb);
    if (const auto* l = std::get_if<LioListio>(&body)) {
      for (const LioElement& e : l->list) {
        if (!e.is_null) submitted(e.req.cb);
      }
    }
    if (const auto* w = std::get_if<Wait>(&body)) {
      for (CbId cb : w->cbs) {
        if (cb >= 0 && cb < static_cast<CbId>(waited.size())) {
          waited[cb] = log.steps[i].ret == 0;
        }
      }
    }
    if (const auto* r = std::get_if<AioReturn>(&body)) {
      if (r->cb >= 0 && r->cb < static_cast<CbId>(waited.size()) &&
          waited[r->cb] != true) {
        return absl::FailedPreconditionError(absl::StrCat(
            "op ", i, " (", PrintOp(trace, trace.ops[i]),
            "): the wait before it timed out, so the request may still be in "
            "progress (aio_return undefined: AIO-RETURN-02)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace aiospec
