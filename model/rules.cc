#include "model/rules.h"

#include <aio.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/common/byte_literal.h"
#include "harness/observation/host_names.h"
#include "harness/trace/payload.h"
#include "harness/trace/trace_printer.h"
#include "model/cancel_choice.h"
#include "model/holds.h"
#include "model/threads.h"
#include "model/process_events.h"
#include "model/state_set.h"

namespace aiospec {
namespace {

constexpr size_t kMaxShownBytes = 80;

// A read on a stream socket whose peer closed failed instead of seeing EOF
// (completion.cc, StepStream).
constexpr char kConnResetChoice[] =
    "AIO-GEN-25: a read on a socket whose peer closed failed with ECONNRESET";

// Why a read's EOVERFLOW is rejected (AIO-READ-19; ReadPastOffsetMax).
constexpr char kNoOverflowMessage[] =
    "EOVERFLOW is for a read starting before EOF at or past the offset "
    "maximum (2^63-1), which no file here reaches";

// EncodeBytes(bytes), cut to kMaxShownBytes. Rejections show a queue of up
// to 64 KiB in every world that rejects a drain: only a prefix is encoded.
// The encoding of bytes cut where a run ends is the whole encoding's
// prefix but for its last character (a closing quote the rest may not
// have), so once that encoding is longer than shown, the cut is as good.
std::string ShowBytes(const std::string& bytes) {
  std::string enc;
  for (size_t cut = 2 * kMaxShownBytes;; cut *= 2) {
    while (cut < bytes.size() && bytes[cut] == bytes[cut - 1]) ++cut;
    if (cut >= bytes.size()) {
      enc = EncodeBytes(bytes);
      break;
    }
    enc = EncodeBytes(std::string_view(bytes).substr(0, cut));
    if (enc.size() > kMaxShownBytes + 1) break;
  }
  if (enc.size() > kMaxShownBytes) {
    enc = absl::StrCat(enc.substr(0, kMaxShownBytes), "...");
  }
  return enc;
}

std::string RetText(int64_t ret, int err) {
  if (ret == -1 && err != 0) return absl::StrCat("ret=-1 errno=", ErrnoName(err));
  return absl::StrCat("ret=", ret);
}

void AddUniqueText(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

// Outcome builders.
RuleOutcome Accept(State s, std::vector<std::string> choices = {}) {
  RuleOutcome out;
  out.accepted.push_back({std::move(s), std::move(choices)});
  return out;
}
// Accepts the input world unchanged; the checker keeps it without a copy.
RuleOutcome AcceptSame() {
  RuleOutcome out;
  out.accepted.push_back({State{}, {}, /*same=*/true});
  return out;
}
// The same, taking implementation-defined choices.
RuleOutcome AcceptSameWith(std::vector<std::string> choices) {
  RuleOutcome out;
  out.accepted.push_back({State{}, std::move(choices), /*same=*/true});
  return out;
}
RuleOutcome Reject(std::vector<std::string> ids, std::string allowed,
                   std::string message = "") {
  RuleOutcome out;
  out.rejections.push_back({std::move(ids), std::move(allowed), std::move(message)});
  return out;
}
RuleOutcome Unresolved(std::string why) {
  RuleOutcome out;
  out.unresolved = std::move(why);
  return out;
}

// The clause behind an error a submission must report, sync or async
// (AIO-READ-16/17, AIO-WRITE-14/15, AIO-FSYNC-12/14).
std::string ErrorId(RequestOp op, int e) {
  // An I/O error of the syscall itself (a `hold release errno=`).
  if (e == EIO || e == ENOSPC) {
    return op == RequestOp::kFsync ? "AIO-FSYNC-07"
           : op == RequestOp::kRead ? "AIO-READ-18"
                                    : "AIO-WRITE-16";
  }
  if (op == RequestOp::kFsync) return e == EBADF ? "AIO-FSYNC-12" : "AIO-FSYNC-14";
  if (op == RequestOp::kRead) {
    if (e == EOVERFLOW) return "AIO-READ-19";
    return e == EBADF ? "AIO-READ-16" : "AIO-READ-17";
  }
  if (e == EFBIG) return "AIO-WRITE-17";
  return e == EBADF ? "AIO-WRITE-14" : "AIO-WRITE-15";
}

// ErrorId, plus AIO-GEN-10 when aio_reqprio is what made the request
// invalid, plus AIO-LIO-18 for a lio_listio element.
std::vector<std::string> ErrorIds(const Request& r, int e) {
  std::vector<std::string> ids = {ErrorId(r.op, e)};
  if (e == EINVAL && r.reqprio != 0) ids.push_back("AIO-GEN-10");
  if (r.lio) ids.push_back("AIO-LIO-18");
  return ids;
}

// Another element of r's lio_listio call failed: the call owed EIO.
bool OtherElementFailed(const State& s, const Request& r) {
  for (const std::optional<Request>& o : s.requests) {
    if (!o || &*o == &r || !o->lio || o->submit_op != r.submit_op) continue;
    if (o->pending_error != 0 ||
        (!o->queued && o->err != 0 && o->err != EAGAIN)) {
      return true;
    }
  }
  return false;
}

// The clauses that fix what a completed request's status and data are.
// `alone`: the request's status itself is what the standard fixes here (an
// error it had to report, an element lio_listio never queued), so these IDs
// name the broken clause by themselves, without the clauses of the calls
// that report a status (AIO-ERROR-01/03/04, AIO-RETURN-01, AIO-GEN-23).
struct StatusClauses {
  std::vector<std::string> ids;
  bool alone = false;
};

StatusClauses CompletionIds(const State& s, const Request& r) {
  if (!r.queued && r.err == EAGAIN) {
    // Not queued by a lio_listio that returned EAGAIN: its status is EAGAIN
    // (AIO-LIO-19, -25); with another element failed, EIO was due (-23).
    std::vector<std::string> ids = {"AIO-LIO-19", "AIO-LIO-25"};
    if (OtherElementFailed(s, r)) ids.push_back("AIO-LIO-23");
    return {std::move(ids), true};
  }
  // Cancelled (by aio_cancel, or by close: AIO-PROC-01 is a MAY and never
  // the broken clause): error status ECANCELED, return status -1.
  // A cancelled read or write: AIO-READ-18 and AIO-WRITE-16 allow
  // ECANCELED only after aio_cancel, with return status -1.
  const bool read = r.op == RequestOp::kRead;
  if (r.err == ECANCELED) {
    if (r.op == RequestOp::kFsync) return {{"AIO-ERROR-04", "AIO-CANCEL-06"}};
    return {{"AIO-ERROR-04", "AIO-CANCEL-06", read ? "AIO-READ-18" : "AIO-WRITE-16"}};
  }
  if (r.op == RequestOp::kFsync) {
    // An I/O error: its own fsync's, or a covered write's it had to carry.
    const int e = r.pending_error != 0 ? r.pending_error : r.err;
    if (e == EIO || e == ENOSPC) return {{"AIO-FSYNC-07", "AIO-FSYNC-16"}};
    return {{"AIO-FSYNC-07", "AIO-FSYNC-08"}};
  }
  if (r.pending_error != 0 || r.ofd == kNone || !r.queued) {
    const int e = r.pending_error != 0 ? r.pending_error
                  : r.err != 0         ? r.err
                                       : EBADF;
    return {ErrorIds(r, e), true};
  }
  const Ofd& o = s.ofds[r.ofd];
  if (o.kind == OfdKind::kFile) {
    if (read) return {{"AIO-READ-01", "AIO-READ-07", "AIO-READ-20", "AIO-GEN-04"}};
    if (o.append) return {{"AIO-WRITE-01", "AIO-WRITE-07", "AIO-GEN-05"}};
    return {{"AIO-WRITE-01", "AIO-WRITE-06", "AIO-GEN-23"}};
  }
  if (read) return {{"AIO-READ-01", "AIO-READ-20", "AIO-GEN-25"}};
  return {{"AIO-WRITE-01", "AIO-WRITE-18", "AIO-GEN-25"}};
}

// `generic` (the reporting call's clauses) followed by CompletionIds', or
// CompletionIds' alone.
std::vector<std::string> StatusIds(const State& s, const Request& r,
                                   std::vector<std::string> generic) {
  StatusClauses c = CompletionIds(s, r);
  if (c.alone) return std::move(c.ids);
  for (std::string& id : c.ids) generic.push_back(std::move(id));
  return generic;
}

// One sentence on why the status is fixed, for the statuses CompletionIds
// cites alone; "" otherwise.
std::string StatusMessage(const State& s, CbId cb, const RuleContext& ctx) {
  const Request& r = *s.requests[cb];
  const std::string& name = ctx.trace->cb_names[cb];
  if (!r.queued && r.err == EAGAIN) {
    return absl::StrCat("lio_listio returned EAGAIN and '", name,
                        "' was not queued, so its status is EAGAIN",
                        OtherElementFailed(s, r)
                            ? "; as another element had failed, EIO was due"
                            : "");
  }
  if (r.err == ECANCELED || r.op == RequestOp::kFsync ||
      (r.pending_error == 0 && r.ofd != kNone && r.queued)) {
    return "";
  }
  const int e = r.pending_error != 0 ? r.pending_error : r.err != 0 ? r.err : EBADF;
  std::string why = "a bad descriptor";
  if (e == EINVAL) {
    why = r.reqprio != 0 ? absl::StrCat("an invalid aio_reqprio (", r.reqprio, ")")
          : r.nbytes < 0 ? "an invalid aio_nbytes"
                         : "an invalid aio_offset";
  }
  return absl::StrCat("'", name, "' was submitted with ", why,
                      ": it had to fail with ", ErrnoName(e));
}

// The request was valid when submitted and its descriptor has been closed
// (or dup2'd over) since: an EBADF from it means close neither cancelled it
// (that is ECANCELED) nor let it complete as if close had not happened
// (AIO-PROC-03).
bool EbadfAfterClose(const State& s, const Request& r, int err) {
  return err == EBADF && r.queued && r.ofd != kNone && r.pending_error == 0 &&
         r.fd >= 0 && s.fds[r.fd] != r.ofd;
}

// A read that returned bytes of a file it was not submitted on, after its
// descriptor was closed: it read whatever reused the descriptor number, not
// its own open file description (AIO-PROC-02). That file, or kNone.
FileId ReadFromElsewhere(const State& s, const Request& r,
                         const std::string& data) {
  if (r.op != RequestOp::kRead || data.empty() || r.ofd == kNone ||
      r.pending_error != 0 || r.fd < 0 || s.fds[r.fd] == r.ofd) {
    return kNone;
  }
  const Ofd& own = s.ofds[r.ofd];
  for (FileId f = 0; f < static_cast<FileId>(s.files.size()); ++f) {
    if (own.kind == OfdKind::kFile && own.file == f) continue;
    if (BytesOf(s.files[f].content).find(data) != std::string::npos) return f;
  }
  return kNone;
}

// --- Setup ------------------------------------------------------------------

RuleOutcome SetupFailed(const Op& op, const StepObservation& obs) {
  return Unresolved(absl::StrCat("target could not set up: ", OpName(op.body),
                                 " failed with ", ErrnoName(obs.err)));
}

// Closes a descriptor handle (close, and dup2 onto an open target:
// AIO-PROC-06). Requests keep their description alive (AIO-PROC-02/03).
// close may cancel pending requests submitted on this descriptor
// (AIO-PROC-01, implementation-defined): each subset is a branch, taken at
// once for a few requests and lazily for more (cancel_choice.h). Requests
// submitted through another descriptor for the same description are not
// "against fildes" and are never cancelled (AIO-PROC-06).
RuleOutcome CloseHandle(const State& s, FdId fd, const std::string& why) {
  const OfdId ofd = s.fds[fd];
  std::vector<CbId> cancelable;
  for (CbId cb : s.PendingRequests()) {
    const Request& r = *s.requests[cb];
    if (r.fd == fd && r.ofd == ofd && ofd != kNone && r.transferred == 0 &&
        r.pending_error == 0) {
      cancelable.push_back(cb);
    }
  }
  RuleOutcome out;
  if (cancelable.size() > kEagerCancelLimit) {
    // Each request cancelled or not, decided when an observation needs it
    // (cancel_choice.h).
    State t = s;
    for (CbId cb : cancelable) {
      MarkUndecided(t, cb, why == "dup2" ? Undecided::kDup2 : Undecided::kClose, -1);
    }
    t.fds[fd] = kNone;
    t.Unref(ofd);
    out.accepted.push_back({std::move(t), {}});
    return out;
  }
  for (uint32_t mask = 0; mask < (1u << cancelable.size()); ++mask) {
    State t = s;
    std::vector<std::string> choices;
    for (size_t i = 0; i < cancelable.size(); ++i) {
      if ((mask & (1u << i)) == 0) continue;
      Request& r = *t.requests[cancelable[i]];
      r.status = RequestStatus::kDone;
      r.ret = -1;
      r.err = ECANCELED;
      t.Unref(r.ofd);
      choices.push_back(absl::StrCat("AIO-PROC-01: ", why,
                                     " cancelled a pending request"));
    }
    t.fds[fd] = kNone;
    t.Unref(ofd);
    out.accepted.push_back({std::move(t), std::move(choices)});
  }
  return out;
}

RuleOutcome ApplySetup(const State& s, const Op& op, const StepObservation& obs) {
  const bool failed = obs.ret < 0;
  if (failed) return SetupFailed(op, obs);
  State t = s;
  if (const auto* f = std::get_if<DeclareFile>(&op.body)) {
    t.files[f->file].content = MakeBytes(f->content);
    return Accept(std::move(t));
  }
  if (const auto* p = std::get_if<DeclarePipe>(&op.body)) {
    const StreamId st = t.AddStream();
    Ofd r{.kind = OfdKind::kStream, .read_stream = st, .readable = true, .refs = 1};
    Ofd w{.kind = OfdKind::kStream, .write_stream = st, .writable = true, .refs = 1};
    t.fds[p->read_end] = t.AddOfd(r);
    t.fds[p->write_end] = t.AddOfd(w);
    return Accept(std::move(t));
  }
  if (const auto* p = std::get_if<DeclareSocketpair>(&op.body)) {
    const StreamId ab = t.AddStream();
    const StreamId ba = t.AddStream();
    Ofd a{.kind = OfdKind::kStream, .read_stream = ba, .write_stream = ab,
          .readable = true, .writable = true, .refs = 1};
    Ofd b{.kind = OfdKind::kStream, .read_stream = ab, .write_stream = ba,
          .readable = true, .writable = true, .refs = 1};
    t.fds[p->a] = t.AddOfd(a);
    t.fds[p->b] = t.AddOfd(b);
    return Accept(std::move(t));
  }
  if (const auto* o = std::get_if<Open>(&op.body)) {
    Ofd d{.kind = OfdKind::kFile, .file = o->file,
          .readable = (o->flags & kAccessRead) != 0,
          .writable = (o->flags & kAccessWrite) != 0,
          .append = (o->flags & kFlagAppend) != 0, .refs = 1};
    t.fds[o->fd] = t.AddOfd(d);
    return Accept(std::move(t));
  }
  if (const auto* c = std::get_if<Close>(&op.body)) {
    if (s.fds[c->fd] == kNone) return Accept(std::move(t));
    return CloseHandle(s, c->fd, "close");
  }
  if (const auto* d = std::get_if<Dup>(&op.body)) {
    t.fds[d->new_fd] = t.fds[d->old_fd];
    if (t.fds[d->new_fd] != kNone) ++t.ofds[t.fds[d->new_fd]].refs;
    return Accept(std::move(t));
  }
  if (const auto* d = std::get_if<Dup2>(&op.body)) {
    // dup2(fd, fd) closes nothing and returns fd (dup2(2)).
    if (d->target == d->old_fd) return Accept(std::move(t));
    // dup2 onto an open target closes it first (AIO-PROC-06).
    RuleOutcome closed = s.fds[d->target] == kNone
                             ? Accept(std::move(t))
                             : CloseHandle(s, d->target, "dup2");
    for (Accepted& a : closed.accepted) {
      a.state.fds[d->target] = a.state.fds[d->old_fd];
      if (a.state.fds[d->target] != kNone) ++a.state.ofds[a.state.fds[d->target]].refs;
    }
    return closed;
  }
  return Unresolved("internal: not a setup op");
}

// --- Submission: aio_read, aio_write, aio_fsync, lio_listio -----------------

// What a submission must or may report (AIO-READ-16/17, AIO-WRITE-14/15,
// AIO-GEN-10), sync or async (EITHER).
struct SubmitCheck {
  OfdId ofd = kNone;
  std::vector<int> errors;           // must be reported, sync or async
  std::vector<int> optional_errors;  // may be reported, sync or async
  // A negative aio_offset on a pipe or socket: ambiguous, see the choice.
  bool unseekable_negative_offset = false;
  bool Allows(int e) const {
    return std::find(errors.begin(), errors.end(), e) != errors.end() ||
           std::find(optional_errors.begin(), optional_errors.end(), e) !=
               optional_errors.end();
  }
};

// A read on a regular file whose range ends past the offset maximum of the
// description (2^63-1: the agents use a 64-bit off_t). The model's files end
// far below it, so such a read starts past EOF: it transfers nothing
// (AIO-READ-14) and sees EOF (AIO-READ-20), or it reports EINVAL for the
// offset it implies (AIO-READ-17), as Linux's pread range check does.
// EOVERFLOW (AIO-READ-19) is for a read that starts before EOF at or past
// the maximum, so it is never due here, and one reported cites READ-19.
bool ReadPastOffsetMax(const Ofd* o, const IoRequest& req) {
  return o != nullptr && o->kind == OfdKind::kFile && req.nbytes > 0 &&
         req.offset >= 0 && req.offset > INT64_MAX - req.nbytes;
}

SubmitCheck Validate(const State& s, const IoRequest& req, RequestOp op) {
  SubmitCheck c;
  const bool read = op == RequestOp::kRead;
  c.ofd = req.fd < 0 ? kNone : s.fds[req.fd];
  const Ofd* o = c.ofd == kNone ? nullptr : &s.ofds[c.ofd];
  if (o == nullptr || (read ? !o->readable : !o->writable)) {
    c.errors.push_back(EBADF);
  }
  const bool append = o != nullptr && o->append && !read;
  const bool offset_matters = o != nullptr && o->kind == OfdKind::kFile && !append;
  c.unseekable_negative_offset =
      o != nullptr && o->kind == OfdKind::kStream && req.offset < 0;
  if ((offset_matters && req.offset < 0) || req.reqprio < 0 || req.nbytes < 0) {
    c.errors.push_back(EINVAL);
  } else if (req.reqprio > 0 ||
             (append && (req.offset < 0 || (req.nbytes > 0 &&
                                            req.offset > INT64_MAX - req.nbytes))) ||
             (read && ReadPastOffsetMax(o, req)) ||
             c.unseekable_negative_offset || (o == nullptr && req.offset < 0)) {
    // A negative offset with a bad descriptor: either error may be the
    // one reported (neither clause ranks them).
    // {AIO_PRIO_DELTA_MAX} is unknown and may be 0 (AIO-GEN-10). The offset
    // is irrelevant with O_APPEND or on a stream (AIO-WRITE-07), but "the
    // offset implied by aio_offset is invalid" may be read to cover a
    // negative one there too, or one a positioned write would overflow
    // from, as glibc and the kernel's pwrite do (model/README.md,
    // Ambiguities). A read ending past the offset maximum: see
    // ReadPastOffsetMax.
    c.optional_errors.push_back(EINVAL);
  }
  // A write ending past the offset maximum (2^63-1) transfers nothing
  // (AIO-WRITE-12): EFBIG (AIO-WRITE-17), or EINVAL for an implied offset
  // that overflows (AIO-WRITE-15), which is Linux's answer.
  if (!read && offset_matters && req.nbytes > 0 && req.offset >= 0 &&
      req.offset > INT64_MAX - req.nbytes) {
    c.errors.push_back(EFBIG);
    if (!c.Allows(EINVAL)) c.errors.push_back(EINVAL);
  }
  return c;
}

// The model keeps file bytes in memory: a write that would grow a file
// past this is not judged (UNRESOLVED), never allocated.
constexpr int64_t kMaxModelledFileBytes = int64_t{1} << 30;

std::optional<RuleOutcome> BeyondModelledFile(const State& s,
                                              const IoRequest& req,
                                              RequestOp op) {
  if (op != RequestOp::kWrite || req.nbytes <= 0 || req.offset < 0 ||
      req.offset > INT64_MAX - req.nbytes ||
      req.offset + req.nbytes <= kMaxModelledFileBytes) {
    return std::nullopt;
  }
  const OfdId ofd = req.fd < 0 ? kNone : s.fds[req.fd];
  if (ofd == kNone || s.ofds[ofd].kind != OfdKind::kFile || s.ofds[ofd].append) {
    return std::nullopt;
  }
  return Unresolved(absl::StrCat("a write ending at byte ",
                                 req.offset + req.nbytes,
                                 ": the model holds files of at most ",
                                 kMaxModelledFileBytes, " bytes"));
}

// The choices an error reported for a submission records.
std::vector<std::string> ErrorChoices(const SubmitCheck& c, RequestOp op, int e,
                                      bool sync) {
  std::vector<std::string> out = {absl::StrCat(
      ErrorId(op, e), ": ", ErrnoName(e), " reported ",
      sync ? "synchronously" : "asynchronously")};
  if (e == EINVAL && c.unseekable_negative_offset) {
    out.push_back(absl::StrCat(ErrorId(op, e),
                               ": negative aio_offset on an unseekable file "
                               "rejected"));
  }
  return out;
}

// The choice of a request with a negative offset on a stream that went
// through: the offset was ignored.
void AddIgnoredOffsetChoice(const SubmitCheck& c, RequestOp op,
                            std::vector<std::string>& choices) {
  if (!c.unseekable_negative_offset) return;
  choices.push_back(absl::StrCat(
      op == RequestOp::kRead ? "AIO-GEN-04" : "AIO-WRITE-07",
      ": negative aio_offset on an unseekable file ignored"));
}

// Records a queued request in `t` (it holds its description: AIO-PROC-02).
void Enqueue(State& t, const IoRequest& req, RequestOp op, OfdId ofd,
             int pending_error, const RuleContext& ctx) {
  Request r;
  r.op = op;
  r.fd = req.fd;
  r.ofd = ofd;
  r.offset = req.offset;
  r.nbytes = req.nbytes;
  r.notify = req.notify;
  if (op == RequestOp::kWrite) {
    r.payload = MakeBytes(RequestBytes(*ctx.trace, ctx.op_index, req));
  }
  r.submit_op = ctx.op_index;
  r.seq = t.next_seq++;
  r.pending_error = pending_error;
  r.reqprio = req.reqprio;
  r.lio = std::holds_alternative<LioListio>(ctx.trace->ops[ctx.op_index].body);
  if (ofd != kNone) ++t.ofds[ofd].refs;
  t.Supersede(req.cb);
  t.requests[req.cb] = std::move(r);
}

// A request whose error the submitting call reported in the aiocb itself
// (lio_listio elements: AIO-LIO-18, -25, -26): final at once.
void FailAtOnce(State& t, const IoRequest& req, RequestOp op, int err,
                const RuleContext& ctx) {
  Request r;
  r.op = op;
  r.fd = req.fd;
  r.notify = Notify{};  // not queued: no notification (AIO-READ-04)
  r.submit_op = ctx.op_index;
  r.seq = t.next_seq++;
  r.nbytes = req.nbytes;
  r.reqprio = req.reqprio;
  r.lio = true;
  r.queued = false;
  r.status = RequestStatus::kDone;
  r.ret = -1;
  r.err = err;
  t.Supersede(req.cb);
  t.requests[req.cb] = std::move(r);
}

RuleOutcome Resubmitted(const RuleContext& ctx, CbId cb) {
  return Unresolved(absl::StrCat(
      "the trace resubmits aiocb '", ctx.trace->cb_names[cb],
      "' while it is in progress (undefined: AIO-READ-11, AIO-WRITE-10)"));
}

// AIO-READ-02/03/15/16/17, AIO-WRITE-02/03/13/14/15, AIO-GEN-10: the call
// returns 0 (queued) or -1 with errno. EAGAIN is always possible ({AIO_MAX}
// is unknown). EBADF and EINVAL are EITHER: reported by the call, or the
// request is queued and completes with that error.
RuleOutcome ApplySubmit(const State& s, const IoRequest& req, RequestOp op,
                        const StepObservation& obs, const RuleContext& ctx) {
  const bool read = op == RequestOp::kRead;
  const char* name = read ? "aio_read" : "aio_write";
  if (s.IsPending(req.cb)) return Resubmitted(ctx, req.cb);
  if (auto beyond = BeyondModelledFile(s, req, op)) return *std::move(beyond);
  const SubmitCheck check = Validate(s, req, op);

  if (obs.ret == 0) {
    RuleOutcome out;
    if (check.errors.empty()) {
      State t = s;
      Enqueue(t, req, op, check.ofd, 0, ctx);
      std::vector<std::string> choices;
      AddIgnoredOffsetChoice(check, op, choices);
      out.accepted.push_back({std::move(t), std::move(choices)});
    }
    for (const std::vector<int>* list : {&check.errors, &check.optional_errors}) {
      for (int e : *list) {
        State t = s;
        Enqueue(t, req, op, check.ofd, e, ctx);
        out.accepted.push_back({std::move(t), ErrorChoices(check, op, e, false)});
      }
    }
    return out;
  }
  if (obs.ret == -1 && (obs.err == EAGAIN || check.Allows(obs.err))) {
    // AIO-READ-04: nothing queued; the aiocb is not associated any more.
    State t = s;
    t.requests[req.cb].reset();
    std::vector<std::string> choices;
    if (obs.err != EAGAIN) choices = ErrorChoices(check, op, obs.err, true);
    return Accept(std::move(t), std::move(choices));
  }
  std::vector<std::string> ids = {read ? "AIO-READ-03" : "AIO-WRITE-03"};
  std::vector<std::string> allowed = {absl::StrCat(name, " ret=0"),
                                      absl::StrCat(name, " ret=-1 errno=EAGAIN")};
  for (int e : check.errors) {
    ids.push_back(ErrorId(op, e));
    allowed.push_back(absl::StrCat(name, " ret=-1 errno=", ErrnoName(e)));
  }
  for (int e : check.optional_errors) {
    allowed.push_back(absl::StrCat(name, " ret=-1 errno=", ErrnoName(e)));
  }
  if (obs.ret == -1 && check.errors.empty()) {
    ids.push_back(read ? "AIO-READ-02" : "AIO-WRITE-02");
  }
  if (read && obs.ret == -1 && obs.err == EOVERFLOW) {
    ids.push_back("AIO-READ-19");
    return Reject(std::move(ids), absl::StrJoin(allowed, " or "),
                  kNoOverflowMessage);
  }
  return Reject(std::move(ids), absl::StrJoin(allowed, " or "));
}

// AIO-FSYNC-02/10/11/12/14/15: 0 (queued) or -1 with EAGAIN; EBADF for a
// descriptor that is not open (an O_RDONLY one is fine under Issue 7);
// EINVAL for an op that is neither O_SYNC nor O_DSYNC. When both apply,
// POSIX does not order them: either is accepted. fsync on a pipe or
// socket is EINVAL; implementations find out when the sync runs, so it is
// accepted either way and recorded.
RuleOutcome ApplyFsync(const State& s, const AioFsync& op,
                       const StepObservation& obs, const RuleContext& ctx) {
  if (s.IsPending(op.cb)) return Resubmitted(ctx, op.cb);
  const OfdId ofd = op.fd == kBadFd ? kNone : s.fds[op.fd];
  // The synchronous errors the call must report, any one of them.
  std::vector<std::pair<int, std::string>> musts;
  if (ofd == kNone) musts.push_back({EBADF, "AIO-FSYNC-12"});
  if (op.op == FsyncOp::kInvalid) musts.push_back({EINVAL, "AIO-FSYNC-15"});
  const bool stream = ofd != kNone && s.ofds[ofd].kind == OfdKind::kStream;
  IoRequest req;
  req.cb = op.cb;
  req.fd = op.fd;
  req.notify = op.notify;
  if (obs.ret == -1 && obs.err == EAGAIN) {
    State t = s;
    t.requests[op.cb].reset();
    return Accept(std::move(t));
  }
  if (!musts.empty()) {
    std::vector<std::string> ids = {"AIO-FSYNC-10"};
    std::vector<std::string> allowed;
    for (const auto& [e, id] : musts) {
      if (obs.ret == -1 && obs.err == e) {
        State t = s;
        t.requests[op.cb].reset();
        return Accept(std::move(t));
      }
      ids.push_back(id);
      allowed.push_back(absl::StrCat("aio_fsync ret=-1 errno=", ErrnoName(e)));
    }
    return Reject(std::move(ids), absl::StrJoin(allowed, " or "));
  }
  if (obs.ret == 0) {
    State t = s;
    Enqueue(t, req, RequestOp::kFsync, ofd, 0, ctx);
    return Accept(std::move(t),
                  stream ? std::vector<std::string>{"AIO-FSYNC-14: EINVAL "
                                                    "reported asynchronously"}
                         : std::vector<std::string>{});
  }
  if (stream && obs.ret == -1 && obs.err == EINVAL) {
    State t = s;
    t.requests[op.cb].reset();
    return Accept(std::move(t), {"AIO-FSYNC-14: EINVAL reported synchronously"});
  }
  return Reject({"AIO-FSYNC-10", "AIO-FSYNC-02"},
                stream ? "aio_fsync ret=0 or ret=-1 errno=EINVAL"
                       : "aio_fsync ret=0 or ret=-1 errno=EAGAIN");
}

// How one lio_listio element fared at submission.
enum class ElementFate { kQueued, kFailed, kNotQueued };

// AIO-LIO-02/03/05/07/09/15/16/17/18/19/23/24/25/28: elements are submitted
// as by aio_read/aio_write (NULL and LIO_NOP entries ignored). LIO_NOWAIT
// returns 0 once all are queued; -1/EAGAIN when some were not (their
// status EAGAIN); -1/EIO when an element failed at submission (its status
// is its error). LIO_WAIT returns 0 once all completed successfully, -1/EIO
// once all completed and one failed, -1/EINTR on a signal; after 0 or EIO
// no element is EINPROGRESS.
RuleOutcome ApplyLio(const State& s, const LioListio& op,
                     const StepObservation& obs, const RuleContext& ctx) {
  struct Element {
    IoRequest req;
    RequestOp op;
    SubmitCheck check;
  };
  std::vector<Element> elements;
  for (const LioElement& e : op.list) {
    if (e.is_null || e.opcode == LioOpcode::kNop) continue;
    if (s.IsPending(e.req.cb)) return Resubmitted(ctx, e.req.cb);
    for (const Element& other : elements) {
      if (other.req.cb == e.req.cb) {
        return Unresolved("lio_listio lists one aiocb twice (undefined: "
                          "AIO-READ-11)");
      }
    }
    const RequestOp rop =
        e.opcode == LioOpcode::kRead ? RequestOp::kRead : RequestOp::kWrite;
    if (auto beyond = BeyondModelledFile(s, e.req, rop)) return *std::move(beyond);
    elements.push_back({e.req, rop, Validate(s, e.req, rop)});
  }
  if (obs.ret == -1 && obs.err == EINVAL && op.list.size() > 2) {
    // AIO-LIO-21/24: nent > {AIO_LISTIO_MAX} (at least 2, else unknown):
    // nothing started, whatever the length.
    State t = s;
    for (const Element& e : elements) t.requests[e.req.cb].reset();
    return Accept(std::move(t), {"AIO-LIO-21: AIO_LISTIO_MAX is below the "
                                 "list length"});
  }
  const bool ok = obs.ret == 0;
  const bool eagain = obs.ret == -1 && obs.err == EAGAIN;
  const bool eio = obs.ret == -1 && obs.err == EIO;
  const bool eintr = obs.ret == -1 && obs.err == EINTR && op.wait;
  // The worlds below are every combination of element fates (and, for
  // LIO_WAIT, every completion order): a long list is judged only when the
  // combinations stay few, e.g. LIO_NOWAIT queuing valid elements (one
  // combination however long the list is, AIO-LIO-21's boundary), or EAGAIN
  // over a handful of elements (AIO-LIO-19/25).
  if (op.wait && elements.size() > 6) {
    return Unresolved("model covers lio_listio(LIO_WAIT) lists of at most 6 elements");
  }
  {
    size_t combinations = 1;
    for (const Element& e : elements) {
      size_t n = e.check.errors.empty() ? 1 : 0;
      n += e.check.errors.size() + e.check.optional_errors.size();
      if (!ok) n += e.check.errors.size() + e.check.optional_errors.size();
      if (eagain) n += 1;
      combinations *= std::max<size_t>(n, 1);
      if (combinations > 4096) {
        return Unresolved("too many element fates in lio_listio (more than 4096)");
      }
    }
  }
  const std::vector<std::string> ids =
      op.wait ? std::vector<std::string>{"AIO-LIO-16", "AIO-LIO-23", "AIO-LIO-28"}
              : std::vector<std::string>{"AIO-LIO-15", "AIO-LIO-19", "AIO-LIO-23"};
  if (!ok && !eagain && !eio && !eintr) {
    return Reject(ids, "lio_listio ret=0, or -1 with EAGAIN, EIO or EINTR");
  }
  // Every combination of element fates the observation allows.
  RuleOutcome out;
  std::vector<std::vector<std::pair<ElementFate, int>>> fates;
  for (const Element& e : elements) {
    std::vector<std::pair<ElementFate, int>> f;
    if (e.check.errors.empty()) f.push_back({ElementFate::kQueued, 0});
    for (int err : e.check.errors) f.push_back({ElementFate::kQueued, err});
    for (int err : e.check.optional_errors) f.push_back({ElementFate::kQueued, err});
    if (!ok) {
      for (int err : e.check.errors) f.push_back({ElementFate::kFailed, err});
      for (int err : e.check.optional_errors) f.push_back({ElementFate::kFailed, err});
    }
    if (eagain) f.push_back({ElementFate::kNotQueued, EAGAIN});
    fates.push_back(std::move(f));
  }
  std::vector<size_t> pick(elements.size(), 0);
  while (true) {
    bool any_failed = false;
    bool any_not_queued = false;
    State t = s;
    std::vector<std::string> choices;
    std::vector<CbId> queued;
    for (size_t i = 0; i < elements.size(); ++i) {
      const Element& e = elements[i];
      const auto [fate, err] = fates[i][pick[i]];
      if (fate == ElementFate::kQueued) {
        Enqueue(t, e.req, e.op, e.check.ofd, err, ctx);
        queued.push_back(e.req.cb);
        if (err != 0) {
          for (std::string& c : ErrorChoices(e.check, e.op, err, false)) {
            choices.push_back(std::move(c));
          }
        } else {
          AddIgnoredOffsetChoice(e.check, e.op, choices);
        }
      } else {
        FailAtOnce(t, e.req, e.op, err, ctx);
        any_failed = any_failed || fate == ElementFate::kFailed;
        any_not_queued = any_not_queued || fate == ElementFate::kNotQueued;
        if (fate == ElementFate::kFailed) {
          for (std::string& c : ErrorChoices(e.check, e.op, err, true)) {
            choices.push_back(std::move(c));
          }
        }
      }
    }
    const bool shape_ok = ok ? !any_failed && !any_not_queued
                          : eagain ? any_not_queued
                          : eio ? (op.wait || any_failed) && !any_not_queued
                                : !any_not_queued;  // EINTR
    if (shape_ok) {
      if (!op.wait && op.notify.kind != NotifyKind::kNone) {
        std::vector<CbId> members;
        for (const Element& e : elements) members.push_back(e.req.cb);
        t.lio_groups.push_back({op.notify, std::move(members), ctx.op_index, 0});
      }
      if (op.wait && (ok || eio)) {
        ExploreSpec spec;
        spec.must_complete = queued;
        bool overflow = false;
        for (State& w : Explore(t, spec, ctx.step, ctx.limit, &overflow)) {
          bool all_done = true;
          bool all_ok = true;
          for (const Element& e : elements) {
            all_done = all_done && !w.IsPending(e.req.cb);
            all_ok = all_ok && !w.IsPending(e.req.cb) && w.requests[e.req.cb]->err == 0;
          }
          if (all_done && (ok ? all_ok : !all_ok)) {
            out.accepted.push_back({std::move(w), choices});
          }
        }
        if (overflow) return Unresolved("too many worlds in lio_listio(LIO_WAIT)");
      } else {
        out.accepted.push_back({std::move(t), std::move(choices)});
      }
    }
    size_t i = 0;
    while (i < pick.size() && ++pick[i] == fates[i].size()) pick[i++] = 0;
    if (i == pick.size()) break;
  }
  if (out.accepted.empty() && ok && op.wait) {
    // LIO_WAIT returned 0, so every element succeeded; an element that had to
    // fail (bad descriptor, invalid field) is the broken clause (AIO-LIO-18:
    // elements fail as aio_read/aio_write would).
    for (const Element& e : elements) {
      if (e.check.errors.empty()) continue;
      Request r;
      r.op = e.op;
      r.reqprio = e.req.reqprio;
      r.lio = true;
      std::vector<std::string> eids;
      std::vector<std::string> errs;
      for (int err : e.check.errors) {
        for (std::string& id : ErrorIds(r, err)) AddUniqueText(eids, std::move(id));
        errs.push_back(ErrnoName(err));
      }
      return Reject(std::move(eids),
                    "lio_listio ret=-1 errno=EIO",
                    absl::StrCat("element '", ctx.trace->cb_names[e.req.cb],
                                 "' had to fail with ", absl::StrJoin(errs, " or "),
                                 ", so LIO_WAIT could not return 0"));
    }
  }
  if (out.accepted.empty()) {
    return Reject(ids, op.wait ? "lio_listio ret=0 once every element completed "
                                 "successfully, ret=-1 errno=EIO when one failed"
                               : "lio_listio ret=0 (all queued), or -1 errno=EIO "
                                 "/ EAGAIN when elements were not queued");
  }
  return out;
}

// --- aio_cancel ---------------------------------------------------------------

// The requests aio_cancel(fd, cb) targets: the one named, or every pending
// request submitted on this descriptor to its current description.
std::vector<CbId> CancelTargets(const State& s, const AioCancel& op) {
  const OfdId ofd = op.fd == kBadFd ? kNone : s.fds[op.fd];
  std::vector<CbId> out;
  if (ofd == kNone) return out;
  if (op.cb != kNullHandle) {
    if (s.requests[op.cb].has_value()) out.push_back(op.cb);
    return out;
  }
  for (CbId cb : s.PendingRequests()) {
    const Request& r = *s.requests[cb];
    if (r.fd == op.fd && r.ofd == ofd) out.push_back(cb);
  }
  return out;
}

// AIO-CANCEL-01/02/03/06/09/10/11/12/13/14/15: each pending target is
// cancelled (status ECANCELED, return -1) or, being in progress, not;
// AIO_NOTCANCELED if any was not, else AIO_CANCELED if any was, else
// AIO_ALLDONE. Which requests are cancelable is implementation-defined: each
// is a branch, recorded as a choice (taken lazily past kEagerCancelLimit
// requests: cancel_choice.h). A large stream write that has moved
// bytes is in progress and cannot be cancelled (AIO-CANCEL-16).
RuleOutcome ApplyCancel(const State& s, const AioCancel& op,
                        const StepObservation& obs, const RuleContext& ctx) {
  const OfdId ofd = op.fd == kBadFd ? kNone : s.fds[op.fd];
  if (op.cb != kNullHandle && s.requests[op.cb].has_value() &&
      s.requests[op.cb]->fd != op.fd) {
    // Another descriptor than the request's: the result is unspecified
    // (AIO-CANCEL-08), even when this one is not valid (EBADF is only
    // required of fildes when it is the request's own, or cb is NULL). A
    // pending request may have been cancelled or not; later observations
    // tell.
    std::vector<std::string> choices = {absl::StrCat(
        "AIO-CANCEL-08: aio_cancel with another descriptor than the "
        "request's returned ",
        obs.ret == -1 ? absl::StrCat("-1/", ErrnoName(obs.err))
                      : CancelResultName(static_cast<int>(obs.ret)))};
    RuleOutcome out;
    out.accepted.push_back({State{}, choices, /*same=*/true});
    if (s.IsPending(op.cb) && s.requests[op.cb]->transferred == 0 &&
        s.requests[op.cb]->undecided == Undecided::kNo) {
      State t = s;
      Request& r = *t.requests[op.cb];
      r.status = RequestStatus::kDone;
      r.ret = -1;
      r.err = ECANCELED;
      t.Unref(r.ofd);
      out.accepted.push_back({std::move(t), std::move(choices)});
    }
    return out;
  }
  if (ofd == kNone) {
    if (obs.ret == -1 && obs.err == EBADF) return AcceptSame();
    return Reject({"AIO-CANCEL-14", "AIO-CANCEL-13"}, "aio_cancel ret=-1 errno=EBADF");
  }
  if (op.cb != kNullHandle) {
    if (!s.requests[op.cb].has_value()) {
      return Unresolved(absl::StrCat("aio_cancel of aiocb '",
                                     ctx.trace->cb_names[op.cb],
                                     "', which has no submission, is "
                                     "unspecified (AIO-CANCEL-17)"));
    }
    if (s.requests[op.cb]->ofd != ofd) {
      return Unresolved("aio_cancel of a request whose descriptor number now "
                        "names another open file description is unspecified "
                        "(AIO-CANCEL-08)");
    }
  }
  std::vector<CbId> pending;
  for (CbId cb : CancelTargets(s, op)) {
    if (s.IsPending(cb)) pending.push_back(cb);
  }
  auto name = [](int v) { return CancelResultName(v); };
  RuleOutcome out;
  std::vector<std::string> allowed;
  if (pending.size() > kEagerCancelLimit) {
    // Too many subsets to branch on at once. AIO_CANCELED: all were
    // cancelled. AIO_NOTCANCELED: each cancelled or not, at least one not,
    // decided when an observation needs it (cancel_choice.h).
    std::vector<CbId> cancelable;
    bool forced_left = false;  // a request that moved bytes stays in progress
    for (CbId cb : pending) {
      if (s.requests[cb]->transferred > 0) {
        forced_left = true;
      } else {
        cancelable.push_back(cb);
      }
    }
    if (!forced_left) {
      AddUniqueText(allowed, absl::StrCat("aio_cancel ret=", name(AIO_CANCELED)));
    }
    AddUniqueText(allowed, absl::StrCat("aio_cancel ret=", name(AIO_NOTCANCELED)));
    if (obs.ret == AIO_CANCELED && !forced_left) {
      // Each was cancelled, or had completed before the call (CancelSpec
      // moved none), at least one cancelled (cancel_choice.h).
      State t = s;
      for (CbId cb : pending) {
        MarkUndecided(t, cb, Undecided::kCancelledOrDone, ctx.op_index);
      }
      return Accept(std::move(t),
                    {"AIO-CANCEL-09: a pending request was cancelable"});
    }
    if (obs.ret == AIO_NOTCANCELED) {
      State t = s;
      const int group = forced_left ? -1 : ctx.op_index;
      for (CbId cb : cancelable) MarkUndecided(t, cb, Undecided::kAioCancel, group);
      return Accept(std::move(t),
                    {"AIO-CANCEL-09: a pending request was not cancelable"});
    }
  }
  const uint32_t masks = pending.size() > kEagerCancelLimit ? 0u : 1u << pending.size();
  for (uint32_t mask = 0; mask < masks; ++mask) {
    State t = s;
    std::vector<std::string> choices;
    bool any_cancelled = false;
    bool any_left = false;
    bool possible = true;
    for (size_t i = 0; i < pending.size(); ++i) {
      Request& r = *t.requests[pending[i]];
      if ((mask & (1u << i)) == 0) {
        any_left = true;
        choices.push_back("AIO-CANCEL-09: a pending request was not cancelable");
        continue;
      }
      if (r.transferred > 0) possible = false;
      any_cancelled = true;
      r.status = RequestStatus::kDone;
      r.ret = -1;
      r.err = ECANCELED;
      t.Unref(r.ofd);
      choices.push_back("AIO-CANCEL-09: a pending request was cancelable");
    }
    if (!possible) continue;
    const int expect = any_left ? AIO_NOTCANCELED
                       : any_cancelled ? AIO_CANCELED
                                       : AIO_ALLDONE;
    AddUniqueText(allowed, absl::StrCat("aio_cancel ret=", name(expect)));
    if (obs.ret == expect) out.accepted.push_back({std::move(t), std::move(choices)});
  }
  if (!out.accepted.empty()) return out;
  std::vector<std::string> ids;
  if (obs.ret == AIO_CANCELED) ids.push_back("AIO-CANCEL-10");
  if (obs.ret == AIO_NOTCANCELED) ids.push_back("AIO-CANCEL-11");
  if (obs.ret == AIO_ALLDONE) ids.push_back("AIO-CANCEL-12");
  if (obs.ret == -1) ids.push_back("AIO-CANCEL-13");
  if (ids.empty()) ids.push_back("AIO-CANCEL-13");
  return Reject(std::move(ids), absl::StrJoin(allowed, " or "),
                pending.empty() ? "every targeted request had already completed"
                                : "the targeted requests were still pending");
}

// --- aio_error, aio_return ---------------------------------------------------

RuleOutcome NotSubmitted(const RuleContext& ctx, CbId cb, const char* call) {
  return Unresolved(absl::StrCat("the trace calls ", call, " on aiocb '",
                                 ctx.trace->cb_names[cb],
                                 "', which has no submission (undefined: "
                                 "AIO-ERROR-05)"));
}

// AIO-ERROR-01..04, -07, -09, AIO-READ-06, AIO-WRITE-05: EINPROGRESS while
// pending, then the final error status, the same value every time until
// aio_return; after aio_return the stale value or -1/EINVAL.
RuleOutcome ApplyAioError(const State& s, CbId cb, const StepObservation& obs,
                          const RuleContext& ctx) {
  if (!s.requests[cb].has_value()) return NotSubmitted(ctx, cb, "aio_error");
  const Request& r = *s.requests[cb];
  const bool says_in_progress = obs.ret == EINPROGRESS;
  if (r.status != RequestStatus::kReturned &&
      EbadfAfterClose(s, r, static_cast<int>(obs.ret))) {
    return Reject({"AIO-PROC-03"},
                  r.status == RequestStatus::kQueued
                      ? "aio_error ret=EINPROGRESS"
                      : absl::StrCat("aio_error ret=",
                                     r.err == 0 ? "0" : ErrnoName(r.err)),
                  absl::StrCat("'", ctx.trace->cb_names[cb],
                               "' failed with EBADF after its descriptor was "
                               "closed: close cancels a request (ECANCELED) "
                               "or lets it complete as if close had not "
                               "happened"));
  }
  switch (r.status) {
    case RequestStatus::kQueued:
      if (says_in_progress) return AcceptSame();
      return Reject({"AIO-ERROR-02", "AIO-GEN-02"}, "aio_error ret=EINPROGRESS",
                    "the request cannot have completed yet");
    case RequestStatus::kDone: {
      if (obs.ret == r.err && r.err == ECONNRESET) {
        return AcceptSameWith({kConnResetChoice});
      }
      if (obs.ret == r.err) return AcceptSame();
      const std::string allowed =
          absl::StrCat("aio_error ret=", r.err == 0 ? "0" : ErrnoName(r.err));
      if (says_in_progress && !r.queued && r.err == EAGAIN) {
        // An element a lio_listio returning EAGAIN never queued: it cannot
        // be in progress (AIO-LIO-19, -25; the worlds where it was queued
        // are gone, so at least one element had to be left out).
        return Reject(StatusIds(s, r, {}), allowed,
                      absl::StrCat(StatusMessage(s, cb, ctx),
                                   " (EAGAIN means some element was not queued)"));
      }
      if (says_in_progress) {
        // A later aio_fsync on the file that completed successfully is a
        // barrier this request must have passed (AIO-FSYNC-08); a cancelled
        // or failed sync proves nothing.
        const Ofd* o = r.ofd == kNone ? nullptr : &s.ofds[r.ofd];
        for (const std::optional<Request>& f : s.requests) {
          if (o != nullptr && o->kind == OfdKind::kFile && f &&
              f->op == RequestOp::kFsync && f->seq > r.seq &&
              f->status != RequestStatus::kQueued && f->err == 0 &&
              f->ofd != kNone &&
              s.ofds[f->ofd].file == o->file && r.op == RequestOp::kWrite) {
            return Reject({"AIO-FSYNC-08", "AIO-ERROR-09"}, allowed,
                          "an aio_fsync submitted after this write completed, "
                          "so the write had completed too");
          }
        }
        std::vector<std::string> ids = {"AIO-ERROR-09"};
        if (r.err == ECANCELED) ids.push_back("AIO-CANCEL-06");
        return Reject(std::move(ids), allowed,
                      "aio_error went back to EINPROGRESS after the request "
                      "had a final status");
      }
      std::vector<std::string> ids = StatusIds(
          s, r, {"AIO-ERROR-01", r.err == 0 ? "AIO-ERROR-03" : "AIO-ERROR-04"});
      if (r.op == RequestOp::kRead && obs.ret == EOVERFLOW) {
        ids.push_back("AIO-READ-19");
        return Reject(std::move(ids), allowed, kNoOverflowMessage);
      }
      return Reject(std::move(ids), allowed, StatusMessage(s, cb, ctx));
    }
    case RequestStatus::kReturned:
      if (obs.ret == r.err || (obs.ret == -1 && obs.err == EINVAL)) {
        return AcceptSame();
      }
      return Reject({"AIO-ERROR-07", "AIO-ERROR-09", "AIO-ERROR-06"},
                    absl::StrCat("aio_error ret=",
                                 r.err == 0 ? "0" : ErrnoName(r.err),
                                 " or ret=-1 errno=EINVAL"));
  }
  return Unresolved("internal: bad request status");
}

// AIO-RETURN-01, -03, -04, AIO-GEN-23: the return status of the completed
// request (bytes transferred, or -1), once; read data must be the bytes
// read (AIO-READ-01, -07, AIO-GEN-04 on files; AIO-GEN-25 on streams).
RuleOutcome ApplyAioReturn(const State& s, CbId cb, const StepObservation& obs,
                           const RuleContext& ctx) {
  if (!s.requests[cb].has_value()) return NotSubmitted(ctx, cb, "aio_return");
  const Request& r = *s.requests[cb];
  switch (r.status) {
    case RequestStatus::kQueued:
      // The trace itself asked for undefined behaviour (a wait that timed
      // out, then aio_return): no verdict on what came back.
      return Unresolved(
          "aio_return on a request that cannot have completed yet is undefined "
          "(AIO-RETURN-02)");
    case RequestStatus::kDone: {
      const std::string expect_data =
          r.op == RequestOp::kRead && r.ret > 0 ? BytesOf(r.read_data) : "";
      const std::string allowed =
          r.op == RequestOp::kRead && r.ret > 0
              ? absl::StrCat("aio_return ret=", r.ret, " data=",
                             ShowBytes(expect_data))
              : absl::StrCat("aio_return ret=", r.ret);
      if (obs.ret > 0 && obs.data.has_value() &&
          (obs.ret != r.ret || *obs.data != expect_data)) {
        const FileId f = ReadFromElsewhere(s, r, *obs.data);
        if (f != kNone) {
          return Reject(
              {"AIO-PROC-02"}, allowed,
              absl::StrCat("the read returned bytes of file '",
                           ctx.trace->file_names[f],
                           "', which it was not submitted on: it read what "
                           "reused its closed descriptor number, not its own "
                           "open file description"));
        }
      }
      if (obs.ret != r.ret) {
        return Reject(StatusIds(s, r, {"AIO-RETURN-01", "AIO-GEN-23"}), allowed,
                      StatusMessage(s, cb, ctx));
      }
      if (r.op == RequestOp::kRead && r.ret > 0 &&
          obs.data.value_or("") != expect_data) {
        std::vector<std::string> ids = CompletionIds(s, r).ids;
        ids.erase(std::remove(ids.begin(), ids.end(), "AIO-READ-20"), ids.end());
        return Reject(std::move(ids), allowed, "the read returned other bytes");
      }
      State t = s;
      t.requests[cb]->status = RequestStatus::kReturned;
      if (r.err == ECONNRESET) return Accept(std::move(t), {kConnResetChoice});
      return Accept(std::move(t));
    }
    case RequestStatus::kReturned:
      if (obs.ret == r.ret || (obs.ret == -1 && obs.err == EINVAL)) {
        return AcceptSame();
      }
      // A second call may fail, and then only as -1/EINVAL.
      return Reject({"AIO-RETURN-03", "AIO-RETURN-05", "AIO-RETURN-06"},
                    absl::StrCat("aio_return ret=", r.ret,
                                 " or ret=-1 errno=EINVAL"));
  }
  return Unresolved("internal: bad request status");
}

// --- Waiting: aio_suspend, wait ----------------------------------------------

// AIO-SUSP-01/02/03/05/06/07/08/09/11/12/14: 0 once a listed request is
// complete; -1/EAGAIN only when the bound passed with none complete (never
// when one was complete at the call, never before the relative timeout had
// passed); -1/EINTR on a signal. NULL entries are skipped.
RuleOutcome ApplySuspend(const State& s, const AioSuspend& op,
                         const StepObservation& obs, const RuleContext& ctx) {
  bool any_complete = false;
  bool any_cancelled = false;
  bool any_listed = false;
  for (CbId cb : op.list) {
    if (cb == kNullHandle) continue;
    if (!s.requests[cb].has_value()) return NotSubmitted(ctx, cb, "aio_suspend");
    any_listed = true;
    if (!s.IsPending(cb)) {
      any_complete = true;
      any_cancelled = any_cancelled || s.requests[cb]->err == ECANCELED;
    }
  }
  if (!any_listed) {
    return Unresolved("aio_suspend with no request listed is unspecified "
                      "(AIO-SUSP-15)");
  }
  if (!op.timeout.infinite && op.timeout.nanos < 0) {
    // A negative timeout is an invalid timespec (the agent passes a negative
    // tv_sec or tv_nsec): no error is listed for it, so any result is
    // recorded, not judged (AIO-SUSP-16).
    return AcceptSameWith({absl::StrCat("AIO-SUSP-16: an invalid timeout gave ",
                                        RetText(obs.ret, obs.err))});
  }
  const std::string timeout_text =
      op.timeout.infinite ? "blocks until one completes"
                          : "aio_suspend ret=-1 errno=EAGAIN";
  if (obs.ret == 0) {
    if (any_complete) return AcceptSame();
    return Reject({"AIO-SUSP-01", "AIO-SUSP-07"}, timeout_text,
                  "aio_suspend returned 0 with no listed request complete");
  }
  if (obs.ret == -1 && obs.err == EINTR) return AcceptSame();
  if (obs.ret == -1 && obs.err == EAGAIN) {
    if (obs.suspend_early_ns > 0 && !op.timeout.infinite) {
      // The allowed text has no early=: the reproducer matches it.
      return Reject({"AIO-SUSP-06"}, "aio_suspend ret=-1 errno=EAGAIN",
                    absl::StrCat("it timed out ", obs.suspend_early_ns,
                                 " ns before its relative timeout of ",
                                 PrintTimeout(op.timeout),
                                 " had passed on CLOCK_MONOTONIC"));
    }
    if (any_complete) {
      // A cancelled request is complete too (AIO-SUSP-14).
      std::vector<std::string> ids = {"AIO-SUSP-02"};
      if (any_cancelled) ids.push_back("AIO-SUSP-14");
      return Reject(std::move(ids), "aio_suspend ret=0",
                    "a listed request was already complete, so aio_suspend "
                    "had to return 0 at once");
    }
    if (op.timeout.infinite) {
      return Reject({"AIO-SUSP-11", "AIO-SUSP-05"}, timeout_text,
                    "EAGAIN without a timeout");
    }
    return AcceptSame();
  }
  return Reject({"AIO-SUSP-08", "AIO-SUSP-05", "AIO-SUSP-09"},
                any_complete ? "aio_suspend ret=0"
                             : absl::StrCat(timeout_text, " or ret=0"));
}

// A listed request still pending in `w` that may legitimately stay pending
// there (blocked, or ordered behind a blocked one).
bool SomeListedMayStayPending(const State& w, const Wait& op) {
  for (CbId cb : op.cbs) {
    if (w.IsPending(cb) && !EnabledForSure(w, cb)) return true;
  }
  return false;
}

// qoi progress (AIO-READ-01 / AIO-WRITE-01, "no progress within the
// bound"): the timeout only says that NOT ALL listed requests completed.
// Any enabled request may have completed meanwhile (hidden steps), so the
// timeout is fine in each world, reachable by such steps, where some listed
// request is still pending and may stay so; those are the worlds accepted.
// Only when no such world exists did the implementation fail to progress.
RuleOutcome WaitTimedOutQoi(const State& s, const Wait& op,
                            const std::vector<CbId>& pending,
                            const RuleContext& ctx) {
  if (SomeListedMayStayPending(s, op)) return AcceptSame();
  ExploreSpec spec;
  spec.either = pending;
  bool overflow = false;
  std::vector<State> reach = Explore(s, spec, ctx.step, ctx.limit, &overflow);
  // Too many worlds to tell: the cap yields neither PASS nor FAIL.
  if (overflow) return Unresolved("too many worlds to judge the timeout's progress");
  RuleOutcome out;
  for (State& w : reach) {
    if (SomeListedMayStayPending(w, op)) out.accepted.push_back({std::move(w), {}});
  }
  if (!out.accepted.empty()) return out;
  const CbId cb = pending[0];
  const Request& r = *s.requests[cb];
  return Reject({r.op == RequestOp::kRead ? "AIO-READ-01" : "AIO-WRITE-01"},
                "wait ret=0",
                absl::StrCat("qoi: no progress within the bound: '",
                             ctx.trace->cb_names[cb],
                             "' could proceed but stayed EINPROGRESS"));
}

// `wait`: polls aio_error until every listed request is final, within a
// bound. ret=0: all complete. ETIMEDOUT: some still pending (posix); under
// qoi only while some listed request may stay pending (WaitTimedOutQoi),
// and never judged for a bound under kMinProgressBoundNanos.
RuleOutcome ApplyWait(const State& s, const Wait& op, const StepObservation& obs,
                      const RuleContext& ctx) {
  std::vector<CbId> pending;
  for (CbId cb : op.cbs) {
    if (!s.requests[cb].has_value()) return NotSubmitted(ctx, cb, "wait");
    if (s.IsPending(cb)) pending.push_back(cb);
  }
  if (obs.ret == 0) {
    if (pending.empty()) return AcceptSame();
    std::vector<std::string> ids = {"AIO-GEN-02", "AIO-ERROR-02"};
    for (CbId cb : pending) {
      const Request& r = *s.requests[cb];
      for (std::string& id : CompletionIds(s, r).ids) ids.push_back(std::move(id));
    }
    return Reject(std::move(ids),
                  absl::StrCat("wait ret=-1 errno=ETIMEDOUT ('",
                               ctx.trace->cb_names[pending[0]],
                               "' cannot complete yet)"),
                  "a request reported completion although it could not "
                  "have completed");
  }
  if (obs.ret == -1 && obs.err == ETIMEDOUT) {
    // until=notified: a notification still owed explains it (the checker
    // judges that once this op's notify records are matched).
    if (pending.empty() && op.notified) return AcceptSame();
    if (pending.empty()) {
      return Reject({"AIO-ERROR-02", "AIO-ERROR-09"}, "wait ret=0",
                    "every listed request was already complete");
    }
    if (ctx.profile == Profile::kQoi &&
        (op.timeout.infinite || op.timeout.nanos >= kMinProgressBoundNanos)) {
      return WaitTimedOutQoi(s, op, pending, ctx);
    }
    return AcceptSame();
  }
  return Reject({"AIO-ERROR-06"},
                pending.empty() ? "wait ret=0" : "wait ret=0 or ETIMEDOUT");
}

// --- Holding and releasing: fill, drain, write, readback --------------------

const Ofd* StreamOfd(const State& s, FdId fd) {
  const Ofd* o = s.OfdOfFd(fd);
  return o != nullptr && o->kind == OfdKind::kStream ? o : nullptr;
}

// fill's shortcut when nothing waits on the stream, or only reads that
// together fit in one chunk: once the first chunk is in, any read that
// moves gets all it asked for, whatever chunk it moves after, so the rounds
// give the same worlds as the moves before the fill, the whole fill, then
// the moves after. The rounds would explore every world once per chunk.
// nullopt: the rounds are needed.
std::optional<RuleOutcome> FillFeedingSmallReads(const State& s, StreamId st, int64_t filled,
                                                 const RuleContext& ctx) {
  const std::vector<CbId> movers = RequestsOnStream(s, st);
  int64_t wanted = 0;
  for (CbId cb : movers) {
    const Request& r = *s.requests[cb];
    if (r.op != RequestOp::kRead) return std::nullopt;
    wanted += r.nbytes;
  }
  if (!movers.empty() && (wanted > kPipeBuf || filled < kPipeBuf)) return std::nullopt;
  bool overflow = false;
  StateSet after;
  for (State& w : Reachable(s, movers, ctx.step, ctx.limit, &overflow)) {
    w.streams[st].queue = ConcatBytes(w.streams[st].queue, RunBytes(kFillByte, filled));
    const std::vector<CbId> still = RequestsOnStream(w, st);
    for (State& r : Reachable(w, still, ctx.step, ctx.limit, &overflow)) {
      after.Insert(std::move(r));
    }
    if (overflow || after.size() > ctx.limit) {
      overflow = true;
      break;
    }
  }
  RuleOutcome out;
  if (overflow) {
    out.unresolved = "too many worlds while filling";
    return out;
  }
  for (State& w : std::move(after).Take()) {
    w.streams[st].capacity = BytesSize(w.streams[st].queue);
    out.accepted.push_back({std::move(w), {}});
  }
  return out;
}

// fill: write kFillByte until the stream is full. The agent writes
// PIPE_BUF bytes at a time, then single bytes: pending requests on the
// stream may move at every chunk boundary, so a queued aio_write's bytes can
// land inside the fill (the fuzzer found bundled doing so, AIO-WRITE-18
// atomicity intact). The single-byte tail counts as one chunk (it only
// happens when a reader frees part of a buffer). The model learns the
// capacity: the queue length when fill stopped.
RuleOutcome ApplyFill(const State& s, const Fill& op, const StepObservation& obs,
                      const RuleContext& ctx) {
  const Ofd* o = StreamOfd(s, op.fd);
  if (o == nullptr || !o->writable) {
    return Unresolved("fill on a descriptor that is not a writable stream");
  }
  if (obs.ret < 0) return SetupFailed(Op{op, {}}, obs);
  const StreamId st = o->write_stream;
  if (std::optional<RuleOutcome> out = FillFeedingSmallReads(s, st, obs.ret, ctx)) {
    return *std::move(out);
  }
  // Each round appends a chunk (none before the first), then lets the
  // stream's pending requests move; after the last chunk only reads can,
  // since the stream is full. A chunk is a run piece of the queue's rope
  // (state.h), not a copy of the queue: thousands of worlds with 64 KiB
  // queues, copied every round, took seconds per check.
  std::vector<State> worlds = {s};
  bool overflow = false;
  for (int64_t left = obs.ret, chunk = 0; !overflow;) {
    const bool last = left == 0;
    StateSet next;
    const Bytes fill = RunBytes(kFillByte, chunk);
    for (State& w : worlds) {
      if (chunk > 0) w.streams[st].queue = ConcatBytes(w.streams[st].queue, fill);
      std::vector<CbId> movers;
      for (CbId cb : RequestsOnStream(w, st)) {
        if (!last || w.requests[cb]->op == RequestOp::kRead) movers.push_back(cb);
      }
      for (State& r : Reachable(w, movers, ctx.step, ctx.limit, &overflow)) {
        next.Insert(std::move(r));
      }
      if (overflow || next.size() > ctx.limit) {
        overflow = true;
        break;
      }
    }
    worlds = std::move(next).Take();
    if (last) break;
    chunk = std::min(left, kPipeBuf);
    left -= chunk;
  }
  RuleOutcome out;
  if (overflow) {
    out.unresolved = "too many worlds while filling";
    return out;
  }
  for (State& w : worlds) {
    w.streams[st].capacity = BytesSize(w.streams[st].queue);
    out.accepted.push_back({std::move(w), {}});
  }
  return out;
}

// drain: read what is available without blocking, up to `max`. Pending
// requests on the stream may move between the reads (writes append, reads
// take bytes); the observed bytes must be what some such interleaving gives,
// and the stream must be empty at the end unless `max` was reached
// (AIO-WRITE-01, AIO-WRITE-18, AIO-GEN-25).
RuleOutcome ApplyDrain(const State& s, const Drain& op, const StepObservation& obs,
                       const RuleContext& ctx) {
  const Ofd* o = StreamOfd(s, op.fd);
  if (o == nullptr || !o->readable) {
    return Unresolved("drain on a descriptor that is not a readable stream");
  }
  if (obs.ret < 0) return SetupFailed(Op{op, {}}, obs);
  const StreamId st = o->read_stream;
  const std::string data = obs.data.value_or("");
  const std::vector<CbId> movers = RequestsOnStream(s, st);
  const int64_t cap = op.max < 0 ? INT64_MAX : op.max;

  struct Node {
    State state;
    size_t pos;
  };
  absl::flat_hash_set<std::string> seen;
  std::deque<Node> frontier;
  frontier.push_back({s, 0});
  seen.insert(absl::StrCat(0, "|", s.Canonical()));
  RuleOutcome out;
  absl::flat_hash_set<std::string> accepted_keys;
  auto push = [&](State w, size_t pos) {
    if (seen.insert(absl::StrCat(pos, "|", w.Canonical())).second) {
      frontier.push_back({std::move(w), pos});
    }
  };
  while (!frontier.empty()) {
    // The cap cut the search: some interleavings were never tried, so
    // neither an acceptance nor a rejection would be sound.
    if (seen.size() > ctx.limit) return Unresolved("too many worlds while draining");
    Node n = std::move(frontier.front());
    frontier.pop_front();
    const std::string& q = BytesOf(n.state.streams[st].queue);
    const bool at_max = static_cast<int64_t>(n.pos) >= cap;
    if (n.pos == data.size() && (q.empty() || at_max) &&
        obs.ret == static_cast<int64_t>(data.size())) {
      const std::string key = n.state.Canonical();
      if (accepted_keys.insert(key).second) out.accepted.push_back({n.state, {}});
    }
    if (!q.empty() && !at_max) {
      const size_t take =
          std::min<size_t>(q.size(), static_cast<size_t>(cap - n.pos));
      if (n.pos + take <= data.size() && data.compare(n.pos, take, q, 0, take) == 0) {
        State w = n.state;
        w.streams[st].queue = MakeBytes(q.substr(take));
        push(std::move(w), n.pos + take);
      }
    }
    for (CbId cb : movers) {
      for (State& w : StepRequest(n.state, cb, ctx.step)) push(std::move(w), n.pos);
      // With the capacity unknown, a large write may have filled the stream
      // with any part of itself: try the part that matches the observation,
      // and learn the capacity from it.
      const Request& r = *n.state.requests[cb];
      if (!n.state.IsPending(cb) || r.op != RequestOp::kWrite ||
          r.pending_error != 0 || r.ofd == kNone ||
          n.state.streams[st].capacity >= 0 || r.nbytes <= kPipeBuf ||
          n.state.ofds[r.ofd].write_stream != st || !q.empty()) {
        continue;
      }
      const int64_t want = static_cast<int64_t>(data.size() - n.pos);
      const int64_t rest = r.nbytes - r.transferred;
      if (want <= 0 || want >= rest) continue;
      if (ctx.step.strict_order) {
        bool earlier = false;
        for (CbId other : RequestsOnStream(n.state, st)) {
          const Request& p = *n.state.requests[other];
          earlier = earlier || (p.op == RequestOp::kWrite && p.seq < r.seq);
        }
        if (earlier) continue;
      }
      State w = n.state;
      w.streams[st].queue = MakeBytes(BytesOf(r.payload).substr(r.transferred, want));
      w.streams[st].capacity = want;
      w.requests[cb]->transferred += want;
      push(std::move(w), n.pos);
    }
  }
  if (!out.accepted.empty()) return out;
  const std::string& q = BytesOf(s.streams[st].queue);
  const std::string expect = q.substr(0, std::min<int64_t>(q.size(), cap));
  return Reject({"AIO-WRITE-01", "AIO-WRITE-18", "AIO-GEN-25"},
                absl::StrCat("drain ret=", expect.size(), " data=", ShowBytes(expect),
                             movers.empty() ? "" : " (or with pending requests' bytes)"),
                "the stream held other bytes");
}

// write: one non-blocking write(2) into a stream: all of it when it fits,
// EAGAIN when it does not (a write of more than PIPE_BUF may be partial),
// EPIPE with no reader, EBADF on a descriptor that is closed or not open for
// writing (a pipe's read end). A write that does not fit teaches the
// capacity.
RuleOutcome ApplyWrite(const State& s, const Write& op, const StepObservation& obs,
                       const RuleContext&) {
  const Ofd* any = s.OfdOfFd(op.fd);
  if (any == nullptr || !any->writable || (any->kind == OfdKind::kStream &&
                                           any->write_stream == kNone)) {
    if (obs.ret == -1 && obs.err == EBADF) return AcceptSame();
    // write(2) itself, not an AIO call, went wrong: nothing to cite.
    return Unresolved(absl::StrCat(
        "write on a descriptor not open for writing gave ",
        RetText(obs.ret, obs.err), ", not EBADF"));
  }
  const Ofd* o = StreamOfd(s, op.fd);
  if (o == nullptr) {
    return Unresolved("model does not cover write on a regular file yet");
  }
  const StreamId st = o->write_stream;
  const std::string& q = BytesOf(s.streams[st].queue);
  const int64_t len = static_cast<int64_t>(op.data.size());
  const int64_t capacity = s.streams[st].capacity;
  const std::vector<std::string> ids = {"AIO-GEN-25"};
  if (!s.HasReader(st)) {
    if (obs.ret == -1 && obs.err == EPIPE) return AcceptSame();
    // write(2) of nothing need not look at the stream at all (found by the
    // fuzzer: Linux returns 0 at once).
    if (len == 0 && obs.ret == 0) return AcceptSame();
    return Reject(ids, "write ret=-1 errno=EPIPE", "the stream has no reader");
  }
  const int64_t room = capacity < 0 ? -1 : capacity - static_cast<int64_t>(q.size());
  auto appended = [&](int64_t n, bool full) {
    State t = s;
    t.streams[st].queue = MakeBytes(q + op.data.substr(0, n));
    if (full) t.streams[st].capacity = static_cast<int64_t>(BytesOf(t.streams[st].queue).size());
    return t;
  };
  if (obs.ret == len && (room < 0 || len <= room)) return Accept(appended(len, false));
  const bool may_fail = room < 0 || len > room;
  if (may_fail && obs.ret == -1 && obs.err == EAGAIN) return Accept(appended(0, true));
  // Linux keeps a pipe's bytes in page-sized buffers, and bytes read from
  // a buffer that still holds some free no room for a write: with less
  // than a page of room, a write may find none (found by the fuzzer: fill,
  // a 4-byte read, then a 1-byte write got EAGAIN). The capacity stands.
  if (room >= 0 && room < kPipeBuf && obs.ret == -1 && obs.err == EAGAIN) {
    return AcceptSame();
  }
  // And the other way: a short read can free a whole buffer that held only a
  // few bytes (a 1-byte write, then fill's pages), so once anything was
  // read a write of up to PIPE_BUF may find more room than the byte count
  // says (found by the fuzzer: write 1 byte, fill, an 8-byte read, a
  // 12-byte write succeeded). The capacity grows to what was seen.
  if (room > 0 && room < kPipeBuf && len <= kPipeBuf && obs.ret == len) {
    State t = appended(len, false);
    t.streams[st].capacity = static_cast<int64_t>(BytesOf(t.streams[st].queue).size());
    return Accept(std::move(t));
  }
  if (may_fail && len > kPipeBuf && obs.ret > 0 && obs.ret < len &&
      (room < 0 || obs.ret <= room)) {
    return Accept(appended(obs.ret, true));
  }
  return Reject(ids,
                may_fail ? absl::StrCat("write ret=-1 errno=EAGAIN",
                                        room < 0 ? absl::StrCat(" or ret=", len) : "")
                         : absl::StrCat("write ret=", len));
}

// readback: the file's bytes must be what the completed writes made of it
// (AIO-WRITE-01, -06, -07). Bytes of a write submitted on another file's
// description point at a write that followed a reused descriptor number
// instead of its own open file description (AIO-PROC-02).
// readback copies the file while a write on it may be in its pwrite:
// Linux does not make a read atomic with a concurrent write to a regular
// file (POSIX XSH 2.9.7 asks it to), so the copy may hold any mix of the
// old bytes and that write's new ones (found by the fuzzer: a readback saw
// the second byte of a 2-byte aio_write and not the first). That is the
// kernel's doing, not the AIO implementation's; one pending write at a
// time is torn, which is what a single worker's pwrite can do.
bool TornByPendingWrite(const State& s, FileId file, const std::string& content,
                        const std::string& data) {
  for (CbId cb = 0; cb < static_cast<int>(s.requests.size()); ++cb) {
    const std::optional<Request>& r = s.requests[cb];
    if (!r || r->op != RequestOp::kWrite || !s.IsPending(cb) ||
        r->pending_error != 0 || r->ofd == kNone ||
        s.ofds[r->ofd].kind != OfdKind::kFile || s.ofds[r->ofd].file != file) {
      continue;
    }
    const std::string& payload = BytesOf(r->payload);
    const int64_t at = s.ofds[r->ofd].append ? static_cast<int64_t>(content.size())
                                             : r->offset;
    if (at < 0 || payload.empty()) continue;
    std::string after = content;
    const size_t end = static_cast<size_t>(at) + payload.size();
    if (after.size() < end) after.resize(end, '\0');
    after.replace(static_cast<size_t>(at), payload.size(), payload);
    if (data.size() < content.size() || data.size() > after.size()) continue;
    bool mix = true;
    for (size_t i = 0; mix && i < data.size(); ++i) {
      mix = data[i] == after[i] || (i < content.size() && data[i] == content[i]) ||
            (i >= content.size() && data[i] == '\0');
    }
    if (mix) return true;
  }
  return false;
}

// A write of the readback's file that wrote (or may still write) its own
// range: positioned, acting on the file, not failed.
bool WritesOwnRange(const State& s, const Request& w, FileId file) {
  return w.op == RequestOp::kWrite && w.nbytes > 0 && w.pending_error == 0 &&
         w.err == 0 && w.ofd != kNone && s.ofds[w.ofd].kind == OfdKind::kFile &&
         s.ofds[w.ofd].file == file;
}

// The byte ranges the writes of one conflict component cover, as far as
// the file reaches in `r`, are final there: any write overlapping them is
// in the component, and the other components only extend the file past its
// end. So the readback shows these bytes, or one pending write's new ones
// (a torn copy, once over the whole file: TornByPendingWrite). Files only
// grow, so a copy shorter than `r`'s file fits no completion of the rest.
// An O_APPEND write may land anywhere: no verdict on its component.
ComponentFit ReadbackFit(const State& r, const std::vector<CbId>& comp,
                         FileId file, const std::string& data) {
  const std::string& content = BytesOf(r.files[file].content);
  if (data.size() < content.size()) return ComponentFit::kOut;
  std::vector<size_t> differ;
  for (CbId cb : comp) {
    const Request& w = *r.requests[cb];
    if (!WritesOwnRange(r, w, file)) continue;
    if (r.ofds[w.ofd].append) return ComponentFit::kFits;
    const size_t end = std::min<size_t>(content.size(), w.offset + w.nbytes);
    for (size_t i = w.offset; i < end; ++i) {
      if (data[i] != content[i]) differ.push_back(i);
    }
  }
  if (differ.empty()) return ComponentFit::kFits;
  for (CbId cb : comp) {
    const Request& w = *r.requests[cb];
    if (!r.IsPending(cb) || !WritesOwnRange(r, w, file)) continue;
    const std::string& payload = BytesOf(w.payload);
    const bool torn = std::all_of(differ.begin(), differ.end(), [&](size_t i) {
      return i >= static_cast<size_t>(w.offset) &&
             i - w.offset < payload.size() && payload[i - w.offset] == data[i];
    });
    if (torn) return ComponentFit::kOnce;
  }
  return ComponentFit::kOut;
}

RuleOutcome ApplyReadback(const State& s, const Readback& op,
                          const StepObservation& obs, const RuleContext& ctx) {
  const std::string& content = BytesOf(s.files[op.file].content);
  const std::string data = obs.data.value_or("");
  if (obs.ret < 0) return SetupFailed(Op{op, {}}, obs);
  if (data == content && obs.ret == static_cast<int64_t>(content.size())) {
    return AcceptSame();
  }
  if (obs.ret == static_cast<int64_t>(data.size()) &&
      TornByPendingWrite(s, op.file, content, data)) {
    return AcceptSame();
  }
  std::vector<std::string> ids = {"AIO-WRITE-01", "AIO-WRITE-06"};
  for (const Ofd& o : s.ofds) {
    if (o.kind == OfdKind::kFile && o.file == op.file && o.append) {
      ids.push_back("AIO-WRITE-07");
      break;
    }
  }
  std::string message = "the file holds other bytes";
  for (CbId cb = 0; cb < static_cast<int>(s.requests.size()); ++cb) {
    const std::optional<Request>& r = s.requests[cb];
    if (!r || r->op != RequestOp::kWrite || r->nbytes <= 0) continue;
    const std::string& payload = BytesOf(r->payload);
    if (r->pending_error != 0 && data.find(payload) != std::string::npos &&
        content.find(payload) == std::string::npos) {
      // A write that had to fail (bad descriptor, invalid aio_reqprio or
      // aio_offset) was performed: its error clause is what broke.
      ids = ErrorIds(*r, r->pending_error);
      message = absl::StrCat(StatusMessage(s, cb, ctx),
                             ", yet its bytes are in this file");
      break;
    }
    if (r->pending_error != 0) continue;
    const bool elsewhere = r->ofd == kNone || s.ofds[r->ofd].kind != OfdKind::kFile ||
                           s.ofds[r->ofd].file != op.file;
    if (elsewhere && data.find(payload) != std::string::npos &&
        content.find(payload) == std::string::npos) {
      // The write went to the wrong file: that is the descriptor-reuse
      // clause alone, not a fault of how writes combine in this file.
      ids = {"AIO-PROC-02"};
      message = absl::StrCat("the bytes of '", ctx.trace->cb_names[cb],
                             "', submitted on another open file description, "
                             "landed in this file");
      break;
    }
  }
  return Reject(std::move(ids),
                absl::StrCat("readback ret=", content.size(), " data=",
                             ShowBytes(content)),
                std::move(message));
}

}  // namespace

// --- Signal storms (AIO-ASS-01) ------------------------------------------------

// The `storm on` that a `storm off` at op_index ends (the parser pairs them).
const Storm* StormStart(const Trace& trace, int op_index) {
  for (int i = op_index - 1; i >= 0; --i) {
    const auto* st = std::get_if<Storm>(&trace.ops[i].body);
    if (st != nullptr) return st->on ? st : nullptr;
  }
  return nullptr;
}

// The final status a handler saw for watched aiocb i, if any.
std::optional<int> SeenFinal(const StormObservation& st, size_t i) {
  if (!st.has_seen || i >= st.seen.size()) return std::nullopt;
  for (int v : st.seen[i]) {
    if (v != EINPROGRESS && v != kSeenTruncated) return v;
  }
  return std::nullopt;
}

uint64_t SuspendCount(const StormObservation& st, int outcome) {
  for (const auto& [o, n] : st.suspend) {
    if (o == outcome) return n;
  }
  return 0;
}

// AIO-ASS-01 with AIO-ERROR-08, -09, AIO-RETURN-08, AIO-SUSP-13: aio_error,
// aio_return and aio_suspend called from signal handlers behave as called
// from the main thread at that instant. The handlers ran at unknown points
// between `storm on` and `storm off`, so the record is judged against the
// world at `storm off`: statuses seen are a monotone path (EINPROGRESS...,
// then one final value, AIO-ERROR-09) ending in the request's final status;
// aio_suspend(0) returned 0 only if some watched request completed; the
// handler's aio_return is the request's return value, after which the
// request counts as returned.
RuleOutcome ApplyStorm(const State& s, const Storm& op,
                       const StepObservation& obs, const RuleContext& ctx) {
  if (op.on) {
    if (op.close_fd != kNullHandle && obs.ret == -1 && obs.err == ETIMEDOUT) {
      return Unresolved("no storm handler ran to close the descriptor (close=)");
    }
    if (obs.ret != 0) {
      return Unresolved(absl::StrCat(
          op.close_fd != kNullHandle ? "the storm or its handler's close failed ("
                                     : "the storm could not be started (",
          ErrnoName(obs.err), ")"));
    }
    // `close=D`: a handler closed D before `storm on` returned. Called from
    // a signal handler, close is still close: pending requests on D are
    // cancelled or complete as if it had not happened, on the description
    // they were bound to, never on a later holder of the number
    // (AIO-PROC-01/02/03; close is async-signal-safe).
    if (op.close_fd != kNullHandle && s.fds[op.close_fd] != kNone) {
      return CloseHandle(s, op.close_fd, "close in a signal handler");
    }
    return AcceptSame();
  }
  const Storm* on = op.cbs.empty() ? StormStart(*ctx.trace, ctx.op_index) : &op;
  if (on == nullptr || !obs.storm.has_value()) return AcceptSame();
  const StormObservation& st = *obs.storm;
  if ((st.has_seen && st.seen.size() != on->cbs.size()) ||
      (!st.returned.empty() && st.returned.size() != on->cbs.size())) {
    return Unresolved("the storm record does not list every watched aiocb");
  }
  auto name = [&](size_t i) { return ctx.trace->cb_names[on->cbs[i]]; };
  // World-independent: the path of values seen.
  for (size_t i = 0; st.has_seen && i < st.seen.size(); ++i) {
    std::optional<int> final_value;
    for (int v : st.seen[i]) {
      if (v == kSeenTruncated) continue;
      if (v == EINPROGRESS && final_value.has_value()) {
        return Reject({"AIO-ASS-01", "AIO-ERROR-08", "AIO-ERROR-09"},
                      "EINPROGRESS, then one final status",
                      absl::StrCat("a signal handler saw aio_error of '",
                                   name(i), "' go back to EINPROGRESS after ",
                                   ErrnoName(*final_value)));
      }
      if (v != EINPROGRESS && final_value.has_value() && v != *final_value) {
        return Reject({"AIO-ASS-01", "AIO-ERROR-08", "AIO-ERROR-09"},
                      "one final status",
                      absl::StrCat("a signal handler saw two final statuses "
                                   "of '", name(i), "'"));
      }
      if (v != EINPROGRESS) final_value = v;
    }
  }
  State t = s;
  for (size_t i = 0; i < on->cbs.size(); ++i) {
    const CbId cb = on->cbs[i];
    if (!s.requests[cb].has_value()) return NotSubmitted(ctx, cb, "storm");
    const Request& r = *s.requests[cb];
    const std::string status_text =
        r.status == RequestStatus::kQueued
            ? "EINPROGRESS"
            : (r.err == 0 ? "0" : ErrnoName(r.err));
    if (std::optional<int> f = SeenFinal(st, i); f.has_value()) {
      const bool ok = (r.status != RequestStatus::kQueued && *f == r.err) ||
                      (r.status == RequestStatus::kReturned && *f == -1);
      if (!ok) {
        std::vector<std::string> ids = {"AIO-ASS-01", "AIO-ERROR-08"};
        ids.push_back(r.status == RequestStatus::kQueued ? "AIO-ERROR-02"
                      : r.err == 0                      ? "AIO-ERROR-03"
                                                        : "AIO-ERROR-04");
        return Reject(std::move(ids),
                      absl::StrCat("aio_error of '", name(i), "' ",
                                   status_text),
                      absl::StrCat("a signal handler saw aio_error of '",
                                   name(i), "' = ",
                                   *f > 0 ? ErrnoName(*f) : absl::StrCat(*f)));
      }
    }
    if (i < st.returned.size() && st.returned[i].has_value()) {
      if (r.status != RequestStatus::kDone || r.ret != *st.returned[i]) {
        return Reject({"AIO-ASS-01", "AIO-RETURN-08", "AIO-RETURN-01"},
                      r.status == RequestStatus::kQueued
                          ? std::string("request still in progress")
                          : absl::StrCat("aio_return of '", name(i),
                                         "' ret=", r.ret),
                      absl::StrCat("a signal handler's aio_return of '",
                                   name(i), "' gave ", *st.returned[i]));
      }
      t.requests[cb]->status = RequestStatus::kReturned;
    }
  }
  if (st.has_suspend) {
    if (SuspendCount(st, 0) > 0) {
      bool some_complete = false;
      for (CbId cb : on->cbs) {
        some_complete |= s.requests[cb]->status != RequestStatus::kQueued;
      }
      if (!some_complete) {
        return Reject({"AIO-ASS-01", "AIO-SUSP-02", "AIO-SUSP-13"},
                      "aio_suspend ret=-1 errno=EAGAIN (none complete)",
                      "aio_suspend with a zero timeout returned 0 in a signal "
                      "handler although no watched request could have "
                      "completed");
      }
    }
    for (const auto& [outcome, n] : st.suspend) {
      if (n > 0 && outcome != 0 && outcome != EAGAIN && outcome != EINTR) {
        return Reject({"AIO-ASS-01", "AIO-SUSP-13"},
                      "aio_suspend ret=0, or -1 errno=EAGAIN|EINTR",
                      absl::StrCat("aio_suspend in a signal handler failed "
                                   "with ",
                                   outcome > 0 ? ErrnoName(outcome) : "a bad "
                                   "return value"));
      }
    }
  }
  if (t == s) return AcceptSame();
  return Accept(std::move(t));
}

namespace {

// aio_cancel: AIO_ALLDONE says every target is complete (each component
// keeps only such worlds). Past kEagerCancelLimit targets, AIO_NOTCANCELED
// and AIO_CANCELED move none first: the rule leaves each target undecided,
// and deciding it covers its completing before the call (AIO_CANCELED: it
// completes when decided; AIO_NOTCANCELED: one left in progress that
// completed just after looks the same to every later observation), so
// exploring them would only multiply worlds, 2^N for N independent
// targets. Not when a target moved bytes (it may have to complete before
// the call), nor while some request is undecided (MustDecide seeds those
// among the targets from `either`, to decide them first).
void CancelSpec(const State& s, const AioCancel& op, const StepObservation& obs,
                ExploreSpec& spec) {
  std::vector<CbId> targets = CancelTargets(s, op);
  if (obs.ret == AIO_ALLDONE) {
    spec.must_complete = std::move(targets);
    return;
  }
  const bool lazy =
      (obs.ret == AIO_NOTCANCELED || obs.ret == AIO_CANCELED) &&
      op.cb == kNullHandle && targets.size() > kEagerCancelLimit && !HasUndecided(s) &&
      std::none_of(targets.begin(), targets.end(),
                   [&](CbId cb) { return s.requests[cb]->transferred > 0; });
  if (!lazy) spec.either = std::move(targets);
}

// The clauses that make aio_read, aio_write and aio_fsync ignore
// aio_lio_opcode (AIO-GEN-19 and the call's own), or none when `op` is not
// one of them or the trace left the opcode alone.
std::vector<std::string> IgnoredOpcodeIds(const OpBody& op) {
  if (const auto* r = std::get_if<AioRead>(&op); r && r->lio_opcode) {
    return {"AIO-GEN-19", "AIO-READ-08"};
  }
  if (const auto* w = std::get_if<AioWrite>(&op); w && w->lio_opcode) {
    return {"AIO-GEN-19", "AIO-WRITE-09"};
  }
  if (const auto* f = std::get_if<AioFsync>(&op); f && f->lio_opcode) {
    return {"AIO-GEN-19", "AIO-FSYNC-09"};
  }
  return {};
}

// IgnoredOpcodeIds of the submission an aio_error or aio_return at op
// `index` reports on (the aiocb's latest one before it), so a request that
// did not behave as its call because of the opcode cites the clause there
// too, where its status or data show it.
std::vector<std::string> IgnoredOpcodeIdsAt(const Trace& trace, int index,
                                            const OpBody& op) {
  CbId cb = kNullHandle;
  if (const auto* e = std::get_if<AioError>(&op)) cb = e->cb;
  if (const auto* r = std::get_if<AioReturn>(&op)) cb = r->cb;
  if (cb == kNullHandle) return IgnoredOpcodeIds(op);
  for (int i = index - 1; i >= 0; --i) {
    const OpBody& body = trace.ops[i].body;
    const auto* r = std::get_if<AioRead>(&body);
    const auto* w = std::get_if<AioWrite>(&body);
    const auto* f = std::get_if<AioFsync>(&body);
    if ((r && r->req.cb == cb) || (w && w->req.cb == cb) || (f && f->cb == cb)) {
      return IgnoredOpcodeIds(body);
    }
    // Resubmitted by lio_listio or a child: no opcode of the trace's own.
    if (const auto* lio = std::get_if<LioListio>(&body)) {
      for (const LioElement& e : lio->list) {
        if (!e.is_null && e.req.cb == cb) return {};
      }
    }
    if (const auto* p = std::get_if<Proc>(&body); p && p->req.cb == cb &&
        (p->kind == ProcKind::kExit || p->kind == ProcKind::kExec)) {
      return {};
    }
  }
  return {};
}

// A fact the executor reported besides the call's result breaks `id`: the
// rest of the observation (`rest`) is judged as usual, and a world that
// accepts it is turned into a rejection citing the clause.
void RejectWhereTheRestIsAccepted(const char* id, const Op& op,
                                  const StepObservation& rest, std::string why,
                                  RuleOutcome& out) {
  for (Rejection& r : out.rejections) r.assertion_ids.push_back(id);
  if (out.accepted.empty()) return;
  out.accepted.clear();
  out.rejections.push_back({{id}, FormatObservation(op, rest), std::move(why)});
}

// AIO-ERROR-10: aio_error takes a const aiocb and changes none of its
// public members. AIO-CANCEL-07: aio_cancel changes none of them on a
// request it did not cancel (ret other than AIO_CANCELED: the named
// request was in progress, already done, or the call failed). The
// executor's `changed=` says which members differed after the call.
void JudgeAiocbUnchanged(const Op& op, const StepObservation& obs,
                         RuleOutcome& out) {
  if (obs.aiocb_changed == 0 || out.unresolved) return;
  const char* id = nullptr;
  if (std::holds_alternative<AioError>(op.body)) {
    id = "AIO-ERROR-10";
  } else if (std::holds_alternative<AioCancel>(op.body) && obs.ret != AIO_CANCELED) {
    id = "AIO-CANCEL-07";
  }
  if (id == nullptr) return;
  StepObservation unchanged = obs;
  unchanged.aiocb_changed = 0;
  RejectWhereTheRestIsAccepted(
      id, op, unchanged,
      absl::StrCat("the call changed the aiocb's ",
                   AiocbMembersText(obs.aiocb_changed),
                   std::holds_alternative<AioError>(op.body)
                       ? ", which aio_error only reads"
                       : " of a request it did not cancel"),
      out);
}

// AIO-GEN-21: the library uses an aiocb and its buffer only while the
// error status is EINPROGRESS. After `aio_return CB scribble` the executor
// overwrote both; `touched=` counts the bytes something changed since.
void JudgeScribbleUntouched(const Op& op, const StepObservation& obs,
                            RuleOutcome& out) {
  if (obs.scribble_touched == 0 || out.unresolved) return;
  StepObservation untouched = obs;
  untouched.scribble_touched = 0;
  RejectWhereTheRestIsAccepted(
      "AIO-GEN-21", op, untouched,
      absl::StrCat(obs.scribble_touched,
                   " bytes of the aiocb and its buffer changed after the "
                   "request had finished and aio_return had returned, when "
                   "they were the application's again"),
      out);
}

}  // namespace

ExploreSpec SpecFor(const State& s, const Op& op, const StepObservation& obs) {
  ExploreSpec spec;
  auto on_streams_of = [&](FdId fd) {
    const Ofd* o = s.OfdOfFd(fd);
    if (o == nullptr || o->kind != OfdKind::kStream) return;
    for (StreamId st : {o->read_stream, o->write_stream}) {
      if (st == kNone) continue;
      for (CbId cb : RequestsOnStream(s, st)) spec.either.push_back(cb);
    }
  };
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, AioError>) {
          spec.either = {body.cb};
        } else if constexpr (std::is_same_v<T, AioReturn>) {
          // Not must_complete: a world where the log left the request in
          // progress (a wait that timed out, aio_error saying EINPROGRESS)
          // makes this call undefined (AIO-RETURN-02), and the rule says
          // UNRESOLVED there instead of demanding the completed answer.
          spec.either = {body.cb};
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          if (obs.ret == 0) {
            for (CbId cb : body.list) {
              if (cb != kNullHandle) spec.must_complete.push_back(cb);
            }
            spec.any_of = true;
          }
        } else if constexpr (std::is_same_v<T, Wait>) {
          if (obs.ret == 0) spec.must_complete = body.cbs;
        } else if constexpr (std::is_same_v<T, Fill> || std::is_same_v<T, Drain> ||
                             std::is_same_v<T, Write> || std::is_same_v<T, Close>) {
          on_streams_of(body.fd);
        } else if constexpr (std::is_same_v<T, Dup2>) {
          on_streams_of(body.target);
        } else if constexpr (std::is_same_v<T, Readback>) {
          spec.either = WritesOnFile(s, body.file);
          spec.fit = [file = body.file, &obs](const State& r,
                                              const std::vector<CbId>& comp) {
            return ReadbackFit(r, comp, file, obs.data.value_or(""));
          };
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          CancelSpec(s, body, obs, spec);
        } else if constexpr (std::is_same_v<T, Storm>) {
          // What the handlers saw final must be complete by now; the rest
          // may or may not be.
          if (body.on || !obs.storm.has_value()) return;
          const StormObservation& st = *obs.storm;
          for (size_t i = 0; i < body.cbs.size(); ++i) {
            const bool returned =
                i < st.returned.size() && st.returned[i].has_value();
            if (SeenFinal(st, i).has_value() || returned) {
              spec.must_complete.push_back(body.cbs[i]);
            } else {
              spec.either.push_back(body.cbs[i]);
            }
          }
        }
      },
      op.body);
  return spec;
}

RuleOutcome ApplyRule(const State& s, const Op& op, const StepObservation& obs,
                      const RuleContext& ctx) {
  RuleOutcome out = ApplyRuleKeepingInput(s, op, obs, ctx);
  for (Accepted& a : out.accepted) {
    if (a.same) {
      a.state = s;
      a.same = false;
    }
  }
  return out;
}

namespace {

RuleOutcome Dispatch(const State& s, const Op& op, const StepObservation& obs,
                     const RuleContext& ctx) {
  return std::visit(
      [&](const auto& body) -> RuleOutcome {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, DeclareFile> || std::is_same_v<T, DeclarePipe> ||
                      std::is_same_v<T, DeclareSocketpair> || std::is_same_v<T, Open> ||
                      std::is_same_v<T, Close> || std::is_same_v<T, Dup> ||
                      std::is_same_v<T, Dup2>) {
          return ApplySetup(s, op, obs);
        } else if constexpr (std::is_same_v<T, AioRead>) {
          return ApplySubmit(s, body.req, RequestOp::kRead, obs, ctx);
        } else if constexpr (std::is_same_v<T, AioWrite>) {
          return ApplySubmit(s, body.req, RequestOp::kWrite, obs, ctx);
        } else if constexpr (std::is_same_v<T, AioError>) {
          return ApplyAioError(s, body.cb, obs, ctx);
        } else if constexpr (std::is_same_v<T, AioReturn>) {
          return ApplyAioReturn(s, body.cb, obs, ctx);
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          return ApplySuspend(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Wait>) {
          return ApplyWait(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Fill>) {
          return ApplyFill(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Drain>) {
          return ApplyDrain(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Write>) {
          return ApplyWrite(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Readback>) {
          return ApplyReadback(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, AioFsync>) {
          return ApplyFsync(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          return ApplyCancel(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, LioListio>) {
          return ApplyLio(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Storm>) {
          return ApplyStorm(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Proc>) {
          return ApplyProc(s, body, obs, ctx);
        } else if constexpr (std::is_same_v<T, Hold>) {
          return ApplyHold(s, body, obs);
        } else if constexpr (std::is_same_v<T, ThreadOp>) {
          return ApplyThreadOp(body, obs);
        } else if constexpr (std::is_same_v<T, Sigmask>) {
          return ApplySigmask(obs);
        } else {
          return Unresolved(
              absl::StrCat("model does not cover ", OpName(op.body), " yet"));
        }
      },
      op.body);
}

}  // namespace

RuleOutcome ApplyRuleKeepingInput(const State& s, const Op& op,
                                  const StepObservation& obs,
                                  const RuleContext& ctx) {
  RuleOutcome out = Dispatch(s, op, obs, ctx);
  JudgeAiocbUnchanged(op, obs, out);
  JudgeScribbleUntouched(op, obs, out);
  if (!out.rejections.empty()) {
    // A call that did not behave as itself with garbage in aio_lio_opcode
    // also broke AIO-GEN-19.
    std::vector<std::string> ids =
        IgnoredOpcodeIdsAt(*ctx.trace, ctx.op_index, op.body);
    // Run on a thread, or about a request of a thread that ended since.
    for (std::string& id : ThreadIdsAt(*ctx.trace, ctx.op_index)) {
      ids.push_back(std::move(id));
    }
    for (Rejection& r : out.rejections) {
      r.assertion_ids.insert(r.assertion_ids.end(), ids.begin(), ids.end());
    }
  }
  return out;
}

std::string FormatObservation(const Op& op, const StepObservation& obs) {
  const char* name = OpName(op.body);
  std::string ret;
  if (std::holds_alternative<AioError>(op.body) && obs.ret > 0) {
    ret = absl::StrCat("ret=", ErrnoName(static_cast<int>(obs.ret)));
  } else {
    ret = RetText(obs.ret, obs.err);
  }
  // changed=, early= and touched= before ret=: a text the model allows ("aio_error
  // ret=0") must not be a prefix of a rejected one (the reproducer matches
  // prefixes).
  std::string out = name;
  if (obs.aiocb_changed != 0) {
    absl::StrAppend(&out, " changed=", AiocbMembersText(obs.aiocb_changed));
  }
  if (obs.suspend_early_ns != 0) {
    absl::StrAppend(&out, " early=", obs.suspend_early_ns);
  }
  if (obs.scribble_touched != 0) {
    absl::StrAppend(&out, " touched=", obs.scribble_touched);
  }
  absl::StrAppend(&out, " ", ret);
  if (obs.data.has_value()) absl::StrAppend(&out, " data=", ShowBytes(*obs.data));
  if (obs.child.has_value()) absl::StrAppend(&out, " ", ChildFieldsText(*obs.child));
  return out;
}

}  // namespace aiospec
