#include "model/completion.h"

#include <algorithm>
#include <cerrno>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "model/state_set.h"

namespace aiospec {
namespace {

// Publishes the final status atomically (AIO-GEN-02) and drops the request's
// hold on its open file description (AIO-PROC-03).
void Finish(State& s, CbId cb, int64_t ret, int err, Bytes read_data) {
  Request& r = *s.requests[cb];
  r.status = RequestStatus::kDone;
  r.ret = ret;
  r.err = err;
  r.read_data = std::move(read_data);
  s.Unref(r.ofd);
}

struct Range {
  int64_t begin;
  int64_t end;
};
Range RangeOf(const Request& r) { return {r.offset, r.offset + r.nbytes}; }
bool Overlap(Range a, Range b) { return a.begin < b.end && b.begin < a.end; }

// The description a pending request acts on, or nullptr when it only waits
// to report an error (bad descriptor, invalid field).
const Ofd* ActingOfd(const State& s, const Request& r) {
  if (r.pending_error != 0 || r.ofd == kNone) return nullptr;
  return &s.ofds[r.ofd];
}

// An error of the request's own syscall: a `hold release errno=` (holds.h).
bool IoError(int e) { return e == EIO || e == ENOSPC; }

// The file a pending write holds an fsync's barrier on (AIO-FSYNC-08): the
// one it writes, or, once its syscall failed, the one it failed on, until
// it reports the error the sync then carries (AIO-FSYNC-16). kNone for a
// write on no regular file.
FileId BarrierFile(const State& s, const Request& w) {
  const bool failed = IoError(w.pending_error) && w.ofd != kNone;
  const Ofd* o = failed ? &s.ofds[w.ofd] : ActingOfd(s, w);
  return o != nullptr && o->kind == OfdKind::kFile ? o->file : kNone;
}

// The regular file an fsync syncs, or kNone.
FileId FsyncFile(const State& s, const Request& f) {
  const Ofd* o = ActingOfd(s, f);
  return o != nullptr && o->kind == OfdKind::kFile ? o->file : kNone;
}

// AIO-FSYNC-16: a write queued when an aio_fsync on its file was called
// (submitted before it, still pending) failed in its syscall: the sync
// carries that error in its own status. The sync is not held back by the
// other writes any more (AIO-FSYNC-06: a failed sync guarantees nothing).
void CarryToFsyncs(State& s, const Request& w, int err) {
  if (w.op != RequestOp::kWrite || !IoError(err) || w.ofd == kNone ||
      s.ofds[w.ofd].kind != OfdKind::kFile) {
    return;
  }
  const FileId file = s.ofds[w.ofd].file;
  for (CbId cb : s.PendingRequests()) {
    Request& f = *s.requests[cb];
    if (f.op == RequestOp::kFsync && f.seq > w.seq && FsyncFile(s, f) == file) {
      f.pending_error = err;
    }
  }
}

// One end of a socketpair: it reads one stream and writes the other (a
// pipe end does one of the two).
bool IsSocket(const Ofd& o) {
  return o.kind == OfdKind::kStream && o.read_stream != kNone &&
         o.write_stream != kNone;
}

std::vector<StreamId> StreamsOf(const Ofd& o) {
  std::vector<StreamId> out;
  if (o.kind != OfdKind::kStream) return out;
  if (o.read_stream != kNone) out.push_back(o.read_stream);
  if (o.write_stream != kNone && o.write_stream != o.read_stream) {
    out.push_back(o.write_stream);
  }
  return out;
}

// qoi ordering (AIO-GEN-05, AIO-WRITE-07): would `p`, pending, hold back
// `r` (acting on `o`)? Depends only on what is fixed while both are pending.
bool HoldsBack(const State& s, const Request& r, const Ofd& o, const Request& p) {
  if (p.seq > r.seq || p.op != RequestOp::kWrite) return false;
  const Ofd* po = ActingOfd(s, p);
  if (po == nullptr || po->kind != o.kind) return false;
  if (o.kind == OfdKind::kStream) {
    return r.op == RequestOp::kWrite && po->write_stream == o.write_stream;
  }
  if (po->file != o.file) return false;
  return po->append || (r.op == RequestOp::kWrite && o.append) ||
         Overlap(RangeOf(p), RangeOf(r));
}

// The pending requests that hold `cb` back, or would while pending: a
// hidden step never makes a request pending or changes what HoldsBack
// reads, so in every world a Reachable search reaches from `s`, `cb` is
// held back iff one of these is still pending there.
std::vector<CbId> MayHoldBack(const State& s, CbId cb) {
  std::vector<CbId> out;
  const Request& r = *s.requests[cb];
  const Ofd* o = ActingOfd(s, r);
  if (o == nullptr) return out;
  for (CbId other = 0; other < static_cast<int>(s.requests.size()); ++other) {
    if (other != cb && s.IsPending(other) && HoldsBack(s, r, *o, *s.requests[other])) {
      out.push_back(other);
    }
  }
  return out;
}

// Is `cb` held back by an earlier pending request?
bool OrderedAfterPending(const State& s, CbId cb) {
  const Request& r = *s.requests[cb];
  const Ofd* o = ActingOfd(s, r);
  if (o == nullptr) return false;
  for (CbId other = 0; other < static_cast<int>(s.requests.size()); ++other) {
    if (other != cb && s.IsPending(other) && HoldsBack(s, r, *o, *s.requests[other])) {
      return true;
    }
  }
  return false;
}

void StepFile(const State& s, CbId cb, const Ofd& o, std::vector<State>& out) {
  State t = s;
  const Request& r = *t.requests[cb];
  const std::string& content = BytesOf(t.files[o.file].content);
  const int64_t size = static_cast<int64_t>(content.size());
  if (r.op == RequestOp::kRead) {
    // AIO-READ-01, -07, -20, GEN-04: bytes at aio_offset, short at EOF.
    const int64_t n = std::max<int64_t>(
        0, std::min<int64_t>(r.nbytes, size - r.offset));
    Finish(t, cb, n, 0, MakeBytes(n > 0 ? content.substr(r.offset, n) : ""));
    out.push_back(std::move(t));
    return;
  }
  // AIO-WRITE-01, -06, -07: at aio_offset, or at the end with O_APPEND.
  const int64_t at = o.append ? size : r.offset;
  if (r.nbytes > 0) {
    t.files[o.file].content = MakeBytes(WriteAt(content, at, BytesOf(r.payload)));
  }
  Finish(t, cb, r.nbytes, 0, nullptr);
  out.push_back(std::move(t));
}

void StepStream(const State& s, CbId cb, const Ofd& o, std::vector<State>& out) {
  const Request& r = *s.requests[cb];
  if (r.op == RequestOp::kRead) {
    // AIO-READ-20, GEN-25: as read(2) on a pipe: what is queued, up to
    // nbytes; 0 at EOF; otherwise blocked.
    const Bytes& q = s.streams[o.read_stream].queue;
    const int64_t queued = BytesSize(q);
    if (r.nbytes == 0 || queued > 0 || !s.HasWriter(o.read_stream)) {
      State t = s;
      const int64_t n = std::min<int64_t>(r.nbytes, queued);
      Bytes data = SubBytes(q, 0, n);
      t.streams[o.read_stream].queue = SubBytes(q, n);
      Finish(t, cb, n, 0, std::move(data));
      out.push_back(std::move(t));
      if (n == 0 && r.nbytes > 0 && IsSocket(o) && !s.HasWriter(o.read_stream)) {
        // A stream socket whose peer closed (Linux: with unread data in the
        // peer's receive queue) may report the connection reset instead of
        // EOF, as read() may (GEN-25); recorded when aio_error shows it.
        State reset = s;
        Finish(reset, cb, -1, ECONNRESET, nullptr);
        out.push_back(std::move(reset));
      }
    }
    return;
  }
  // Writes: AIO-WRITE-18 (atomic up to PIPE_BUF), GEN-25 (EPIPE).
  const StreamId st = o.write_stream;
  State t = s;
  if (!s.HasReader(st)) {
    if (r.transferred > 0) {
      Finish(t, cb, r.transferred, 0, nullptr);
    } else {
      Finish(t, cb, -1, EPIPE, nullptr);
    }
    out.push_back(std::move(t));
    return;
  }
  const Bytes& q = s.streams[st].queue;
  const int64_t rest = BytesSize(r.payload) - r.transferred;
  const int64_t cap = s.streams[st].capacity;
  const int64_t room = cap < 0 ? rest : cap - BytesSize(q);
  if (rest <= room) {
    t.streams[st].queue = ConcatBytes(q, SubBytes(r.payload, r.transferred));
    Finish(t, cb, r.nbytes, 0, nullptr);
    out.push_back(std::move(t));
    return;
  }
  if (r.nbytes <= kPipeBuf || room <= 0) return;
  // A large write moves what fits now and stays in progress.
  t.streams[st].queue = ConcatBytes(q, SubBytes(r.payload, r.transferred, room));
  t.requests[cb]->transferred += room;
  out.push_back(std::move(t));
}

// AIO-FSYNC-07/08: the sync completes (status 0) only once every write on
// the same file submitted before it has a final status (one that failed
// passes its error on instead: CarryToFsyncs). fsync is not possible on a
// pipe or socket: EINVAL (AIO-FSYNC-14).
void StepFsync(const State& s, CbId cb, const Ofd& o, std::vector<State>& out) {
  State t = s;
  if (o.kind != OfdKind::kFile) {
    Finish(t, cb, -1, EINVAL, nullptr);
    out.push_back(std::move(t));
    return;
  }
  const int seq = s.requests[cb]->seq;
  for (CbId other = 0; other < static_cast<int>(s.requests.size()); ++other) {
    if (!s.IsPending(other)) continue;
    const Request& p = *s.requests[other];
    if (p.op == RequestOp::kWrite && p.seq < seq && BarrierFile(s, p) == o.file) {
      return;
    }
  }
  Finish(t, cb, 0, 0, nullptr);
  out.push_back(std::move(t));
}

// StepRequest, appending the successors to `out`. `held_by`, when given,
// is MayHoldBack(s0, cb) for a world s0 that `s` was reached from.
void StepInto(const State& s, CbId cb, const StepContext& ctx,
              std::vector<State>& out,
              const std::vector<CbId>* held_by = nullptr) {
  if (!s.IsPending(cb)) return;
  const Request& r = *s.requests[cb];
  // Undecided requests are decided before anything may move them; a held
  // one waits for its release.
  if (r.undecided != Undecided::kNo || r.held) return;
  if (r.pending_error != 0 || r.ofd == kNone) {
    // The EITHER errors reported asynchronously (AIO-READ-16/17,
    // AIO-WRITE-14/15): return status -1, error status the errno.
    State t = s;
    const int err = r.pending_error != 0 ? r.pending_error : EBADF;
    Finish(t, cb, -1, err, nullptr);
    CarryToFsyncs(t, r, err);
    out.push_back(std::move(t));
    return;
  }
  const Ofd& o = s.ofds[r.ofd];
  if (r.op == RequestOp::kFsync) return StepFsync(s, cb, o, out);
  if (ctx.strict_order) {
    const bool held_back =
        held_by != nullptr
            ? std::any_of(held_by->begin(), held_by->end(),
                          [&](CbId p) { return s.IsPending(p); })
            : OrderedAfterPending(s, cb);
    if (held_back) return;
  }
  return o.kind == OfdKind::kFile ? StepFile(s, cb, o, out)
                                  : StepStream(s, cb, o, out);
}

}  // namespace

std::vector<State> StepRequest(const State& s, CbId cb,
                               const StepContext& ctx) {
  std::vector<State> out;
  StepInto(s, cb, ctx, out);
  return out;
}

bool EnabledForSure(const State& s, CbId cb) {
  if (!s.IsPending(cb)) return false;
  const Request& r = *s.requests[cb];
  if (r.held) return false;
  const Ofd* o = ActingOfd(s, r);
  if (o != nullptr && r.op == RequestOp::kFsync) {
    // The barrier: behind a held earlier write it waits for the release.
    for (CbId w : WritesOnFile(s, o->file)) {
      if (s.requests[w]->held && s.requests[w]->seq < r.seq) return false;
    }
  }
  if (o == nullptr || o->kind == OfdKind::kFile || r.op == RequestOp::kFsync) {
    return true;
  }
  if (r.op == RequestOp::kRead) {
    return r.nbytes == 0 || BytesSize(s.streams[o->read_stream].queue) > 0 ||
           !s.HasWriter(o->read_stream);
  }
  const Stream& st = s.streams[o->write_stream];
  return !s.HasReader(o->write_stream) || BytesSize(st.queue) == 0 ||
         (st.capacity >= 0 &&
          BytesSize(st.queue) + r.nbytes -
                  r.transferred <=
              st.capacity);
}

namespace {

bool PendingWriteInto(const State& s, StreamId st) {
  for (const std::optional<Request>& r : s.requests) {
    if (!r || r->status != RequestStatus::kQueued || r->op != RequestOp::kWrite) {
      continue;
    }
    const Ofd* o = ActingOfd(s, *r);
    if (o != nullptr && o->kind == OfdKind::kStream && o->write_stream == st) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool Conflict(const State& s, CbId a, CbId b) {
  const Request& ra = *s.requests[a];
  const Request& rb = *s.requests[b];
  // An fsync on a file waits for the writes on it (its barrier), and
  // carries the error of one that failed (AIO-FSYNC-08, -16).
  for (const auto& [f, w] : {std::pair{&ra, &rb}, std::pair{&rb, &ra}}) {
    if (f->op != RequestOp::kFsync) continue;
    const FileId file = FsyncFile(s, *f);
    if (file != kNone) return w->op == RequestOp::kWrite && BarrierFile(s, *w) == file;
  }
  const Ofd* oa = ActingOfd(s, ra);
  const Ofd* ob = ActingOfd(s, rb);
  if (oa == nullptr || ob == nullptr || oa->kind != ob->kind) return false;
  if (oa->kind == OfdKind::kStream) {
    // Reads on the read end of one pipe commute while its queue is empty and
    // no pending write can fill it: each blocks, or each sees EOF.
    if (ra.op == RequestOp::kRead && rb.op == RequestOp::kRead &&
        oa->write_stream == kNone && ob->write_stream == kNone &&
        oa->read_stream == ob->read_stream &&
        BytesSize(s.streams[oa->read_stream].queue) == 0 &&
        !PendingWriteInto(s, oa->read_stream)) {
      return false;
    }
    // Same stream: who gets which bytes, EOF and EPIPE all depend on order.
    for (StreamId x : StreamsOf(*oa)) {
      for (StreamId y : StreamsOf(*ob)) {
        if (x == y) return true;
      }
    }
    return false;
  }
  if (oa->file != ob->file) return false;
  if (ra.op == RequestOp::kRead && rb.op == RequestOp::kRead) return false;
  if (oa->append || ob->append) return true;
  if (ra.op == RequestOp::kWrite && rb.op == RequestOp::kWrite) {
    return Overlap(RangeOf(ra), RangeOf(rb));
  }
  const Request& w = ra.op == RequestOp::kWrite ? ra : rb;
  const Request& rd = ra.op == RequestOp::kWrite ? rb : ra;
  // A write that ends after the read's start can change the read's bytes
  // or, by extending the file, its length.
  return w.offset + w.nbytes > rd.offset && w.nbytes > 0;
}

std::vector<CbId> RequestsOnStream(const State& s, StreamId stream) {
  std::vector<CbId> out;
  for (CbId cb : s.PendingRequests()) {
    const Ofd* o = ActingOfd(s, *s.requests[cb]);
    if (o == nullptr) continue;
    for (StreamId x : StreamsOf(*o)) {
      if (x == stream) {
        out.push_back(cb);
        break;
      }
    }
  }
  return out;
}

std::vector<CbId> WritesOnFile(const State& s, FileId file) {
  std::vector<CbId> out;
  for (CbId cb : s.PendingRequests()) {
    const Request& r = *s.requests[cb];
    const Ofd* o = ActingOfd(s, r);
    if (o != nullptr && o->kind == OfdKind::kFile && o->file == file &&
        r.op == RequestOp::kWrite) {
      out.push_back(cb);
    }
  }
  return out;
}

std::vector<State> Reachable(const State& s, const std::vector<CbId>& cbs,
                             const StepContext& ctx, size_t limit,
                             bool* overflow) {
  if (cbs.size() == 1) {
    // One request: each step changes it (it completes, or a partial
    // transfer grows `transferred`), and branches differ in its status, so
    // no two paths meet: every world is new and none needs hashing.
    std::vector<State> out;
    out.push_back(s);
    for (size_t i = 0; i < out.size(); ++i) {
      std::vector<State> succ;
      StepInto(out[i], cbs[0], ctx, succ);
      for (State& next : succ) out.push_back(std::move(next));
      if (out.size() > limit) {
        *overflow = true;
        return {};
      }
    }
    return out;
  }
  // The qoi order, worked out once for the whole search.
  std::vector<std::vector<CbId>> held_by;
  if (ctx.strict_order) {
    held_by.reserve(cbs.size());
    for (CbId cb : cbs) {
      held_by.push_back(s.IsPending(cb) ? MayHoldBack(s, cb) : std::vector<CbId>{});
    }
  }
  // Breadth first, the set doubling as the queue.
  StateSet set;
  set.reserve(cbs.size() + 1);
  set.Insert(s);
  std::vector<State> succ;  // reused: no allocation per step
  for (size_t i = 0; i < set.size(); ++i) {
    for (size_t k = 0; k < cbs.size(); ++k) {
      const CbId cb = cbs[k];
      succ.clear();
      StepInto(set[i], cb, ctx, succ, ctx.strict_order ? &held_by[k] : nullptr);
      for (State& next : succ) {
        if (set.Insert(std::move(next)).second && set.size() > limit) {
          *overflow = true;
          return {};
        }
      }
    }
  }
  return std::move(set).Take();
}

namespace {

// Connected components of `cbs` under Conflict.
std::vector<std::vector<CbId>> Components(const State& s,
                                          const std::vector<CbId>& cbs) {
  std::vector<int> comp(cbs.size(), -1);
  int n = 0;
  for (size_t i = 0; i < cbs.size(); ++i) {
    if (comp[i] != -1) continue;
    comp[i] = n;
    std::vector<size_t> stack = {i};
    while (!stack.empty()) {
      size_t a = stack.back();
      stack.pop_back();
      for (size_t b = 0; b < cbs.size(); ++b) {
        if (comp[b] == -1 && Conflict(s, cbs[a], cbs[b])) {
          comp[b] = n;
          stack.push_back(b);
        }
      }
    }
    ++n;
  }
  std::vector<std::vector<CbId>> out(n);
  for (size_t i = 0; i < cbs.size(); ++i) out[comp[i]].push_back(cbs[i]);
  return out;
}

bool Contains(const std::vector<CbId>& v, CbId cb) {
  return std::find(v.begin(), v.end(), cb) != v.end();
}

// The worlds of `reach` that fit the spec, moved out through `emit(world,
// once)`: the ones where `required` (of `comp`) are complete, and that `fit`
// does not rule out, each with whether it took the once-only exception
// (`once` already: it may not again). When none does, every world, so the
// rule explains why.
template <typename Emit>
void Fitting(std::vector<State>& reach, const std::vector<CbId>& comp,
             const std::vector<CbId>& required, const ExploreSpec& spec,
             bool once, Emit emit) {
  absl::InlinedVector<ComponentFit, 16> fits(reach.size(), ComponentFit::kOut);
  absl::InlinedVector<CbId, 16> needed;  // required, of this component
  for (CbId cb : required) {
    if (Contains(comp, cb)) needed.push_back(cb);
  }
  bool any = false;
  for (size_t i = 0; i < reach.size(); ++i) {
    const State& r = reach[i];
    const bool complete = std::none_of(needed.begin(), needed.end(),
                                       [&](CbId cb) { return r.IsPending(cb); });
    if (!complete) continue;
    const ComponentFit f = spec.fit ? spec.fit(r, comp) : ComponentFit::kFits;
    if (once && f == ComponentFit::kOnce) continue;
    fits[i] = f;
    any = any || f != ComponentFit::kOut;
  }
  for (size_t i = 0; i < reach.size(); ++i) {
    if (any && fits[i] == ComponentFit::kOut) continue;
    emit(std::move(reach[i]), once || (any && fits[i] == ComponentFit::kOnce));
  }
}

// Explores the components one after another; `required` must be complete.
std::vector<State> ExploreAll(const State& s, const std::vector<CbId>& seeds,
                              const std::vector<CbId>& required,
                              const ExploreSpec& spec, const StepContext& ctx,
                              size_t limit, bool* overflow) {
  // Close the seeds under conflict among the pending requests.
  std::vector<CbId> pending = s.PendingRequests();
  std::vector<CbId> relevant;
  for (CbId cb : seeds) {
    if (s.IsPending(cb) && !Contains(relevant, cb)) relevant.push_back(cb);
  }
  for (size_t i = 0; i < relevant.size(); ++i) {
    for (CbId p : pending) {
      if (!Contains(relevant, p) && Conflict(s, relevant[i], p)) {
        relevant.push_back(p);
      }
    }
  }
  if (relevant.empty()) return {s};
  const std::vector<std::vector<CbId>> comps = Components(s, relevant);
  // The first component moves from `s` alone: what Reachable gives is
  // distinct already, so it needs no set.
  std::vector<State> worlds;
  std::vector<bool> once;  // by world: took the once-only fit
  {
    std::vector<State> reach = Reachable(s, comps[0], ctx, limit, overflow);
    if (*overflow) return {};
    worlds.reserve(reach.size());
    Fitting(reach, comps[0], required, spec, false, [&](State&& r, bool o) {
      worlds.push_back(std::move(r));
      once.push_back(o);
    });
  }
  for (size_t c = 1; c < comps.size(); ++c) {
    const std::vector<CbId>& comp = comps[c];
    StateSet next;
    std::vector<bool> next_once;
    for (size_t k = 0; k < worlds.size(); ++k) {
      std::vector<State> reach = Reachable(worlds[k], comp, ctx, limit, overflow);
      if (*overflow) return {};
      Fitting(reach, comp, required, spec, once[k], [&](State&& r, bool o) {
        auto [at, inserted] = next.Insert(std::move(r));
        if (inserted) {
          next_once.push_back(o);
        } else {
          next_once[at] = next_once[at] && o;  // the freer way to it counts
        }
      });
      if (next.size() > limit) {
        *overflow = true;
        return {};
      }
    }
    worlds = std::move(next).Take();
    once = std::move(next_once);
  }
  return worlds;
}

}  // namespace

bool AnySeedPending(const State& s, const ExploreSpec& spec) {
  for (CbId cb : spec.must_complete) {
    if (s.IsPending(cb)) return true;
  }
  for (CbId cb : spec.either) {
    if (s.IsPending(cb)) return true;
  }
  return false;
}

std::vector<State> Explore(const State& s, const ExploreSpec& spec,
                           const StepContext& ctx, size_t limit,
                           bool* overflow) {
  if (!spec.any_of || spec.must_complete.empty()) {
    std::vector<CbId> seeds = spec.either;
    seeds.insert(seeds.end(), spec.must_complete.begin(),
                 spec.must_complete.end());
    return ExploreAll(s, seeds, spec.must_complete, spec, ctx, limit, overflow);
  }
  // At least one of must_complete: one branch per candidate; the others'
  // completions are deferred (they commute with the observation). The
  // unchanged world is kept too, so a rule can see an already complete one.
  StateSet out;
  out.Insert(s);
  for (CbId cb : spec.must_complete) {
    std::vector<CbId> seeds = spec.either;
    seeds.push_back(cb);
    for (State& w : ExploreAll(s, seeds, {cb}, spec, ctx, limit, overflow)) {
      out.Insert(std::move(w));
    }
    if (*overflow || out.size() > limit) {
      *overflow = true;
      return {};
    }
  }
  return std::move(out).Take();
}

}  // namespace aiospec
