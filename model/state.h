// The model state: everything POSIX AIO semantics depend on, as plain data.
//
// One State is one possible world after a prefix of the trace: regular file
// contents, stream objects (one per pipe, two per socketpair: one for each
// direction), open file descriptions with their reference counts, the
// descriptor table, and the request table. The checker keeps a set of them
// (see checker.h); rules.h moves them.
//
// States are copied a lot, so byte strings are shared and immutable: a Bytes
// is a shared_ptr to a ByteString, replaced (never mutated) on write, which
// carries the hash of its bytes computed once when it was made. Two states
// are the same world iff operator== says so; Hash() is consistent with it and
// touches no byte string (it combines their cached hashes), so deduping a
// set of worlds (state_set.h) costs a walk over the small tables only.
// Canonical() is a readable rendering for tests and debugging.
//
// Usage:
//   State s = InitialState(trace);
//   OfdId o = s.AddOfd(Ofd{.kind = OfdKind::kFile, .file = 0, ...});
//   s.fds[fd] = o;  s.ofds[o].refs++;
//   if (s.Hash() == t.Hash() && s == t) ...  // the same world
#ifndef AIOSPEC_MODEL_STATE_H_
#define AIOSPEC_MODEL_STATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/trace/trace.h"

namespace aiospec {

// Shared immutable bytes (file contents, stream queues, payloads), with the
// hash of `data` (absl::HashOf) fixed at construction.
struct ByteString {
  std::string data;
  size_t hash = 0;
};
using Bytes = std::shared_ptr<const ByteString>;
Bytes MakeBytes(std::string s);
const std::string& BytesOf(const Bytes& b);  // "" for null
size_t BytesHash(const Bytes& b);            // the hash of BytesOf(b)
bool SameBytes(const Bytes& a, const Bytes& b);

using OfdId = int;     // index into State::ofds
using StreamId = int;  // index into State::streams
inline constexpr int kNone = -1;

// PIPE_BUF on every system the suite targets (Linux, the BSDs): writes of at
// most this many bytes to a pipe are atomic (AIO-WRITE-18).
inline constexpr int64_t kPipeBuf = 4096;

// A regular file: its bytes. The size is the length.
struct RegularFile {
  Bytes content;
};

// One direction of a pipe or socketpair: a FIFO byte queue. The capacity is
// unknown (unbounded for the model) until a `fill` or a failed `write`
// shows where the stream is full.
struct Stream {
  Bytes queue;
  int64_t capacity = -1;  // -1: unknown
};

enum class OfdKind { kFile, kStream };

// An open file description. It lives while refs > 0; refs counts descriptor
// table entries AND pending requests submitted on it (a request keeps the
// description it was submitted on: AIO-PROC-02).
struct Ofd {
  OfdKind kind = OfdKind::kFile;
  FileId file = kNone;             // kFile
  StreamId read_stream = kNone;    // kStream: where reads take bytes from
  StreamId write_stream = kNone;   // kStream: where writes put bytes
  bool readable = false;
  bool writable = false;
  bool append = false;
  int refs = 0;
};

enum class RequestOp { kRead, kWrite, kFsync };
enum class RequestStatus { kQueued, kDone, kReturned };

// A queued request that an aio_cancel or close may or may not have
// cancelled, decided only when an observation depends on it (cancel_choice.h).
// kCancelledOrDone: an aio_cancel that answered AIO_CANCELED cancelled it,
// or it had completed before the call.
enum class Undecided : uint8_t { kNo, kAioCancel, kClose, kDup2, kCancelledOrDone };

// The current submission of one aiocb (GEN-20: keyed by aiocb; resubmission
// replaces the record).
struct Request {
  RequestOp op = RequestOp::kRead;
  FdId fd = kNone;    // the descriptor handle it was submitted on
  OfdId ofd = kNone;  // what that handle meant then (kNone: bad descriptor)
  int64_t offset = 0;
  int64_t nbytes = 0;
  Notify notify;
  Bytes payload;            // writes: the bytes to write
  int submit_op = -1;       // op index of the submission
  int seq = 0;              // global submission order
  int pending_error = 0;    // an error to report at completion (EITHER rules)
  int32_t reqprio = 0;      // aio_reqprio: GEN-10 is the clause if it is invalid
  bool lio = false;         // an element of a lio_listio call (AIO-LIO-18)
  // false: a lio_listio element the call failed or left unqueued, its status
  // set in the aiocb at once (AIO-LIO-18, -19, -25).
  bool queued = true;
  RequestStatus status = RequestStatus::kQueued;
  int64_t transferred = 0;  // stream writes: bytes already in the stream
  int64_t ret = 0;          // kDone/kReturned
  int err = 0;              // kDone/kReturned
  Bytes read_data;          // reads: the bytes read
  int notifications = 0;    // notify records matched so far (AIO-SIG-14)
  // kQueued only: cancelled by an earlier call, or not (cancel_choice.h).
  Undecided undecided = Undecided::kNo;
  // aio_cancel AIO_NOTCANCELED: the op of the call; at least one request of
  // the group was not cancelled (-1: no such constraint).
  int cancel_group = -1;
  // Its syscall is stopped by a `hold` (holds.h): it cannot complete until
  // a `hold release` lets the syscall go.
  bool held = false;
};

// A lio_listio(LIO_NOWAIT) call with a list notification: sent once every
// member has completed (AIO-LIO-05).
struct LioGroup {
  Notify notify;
  std::vector<CbId> members;  // the elements that were queued
  int submit_op = -1;
  int notifications = 0;
};

// The notification a finished submission still owes after its aiocb was
// submitted again: a SIGEV_THREAD function may run, or a signal be
// delivered, after aio_return and resubmission (AIO-SIG-14 counts
// submissions, not aiocbs).
struct OwedNotification {
  Notify notify;
  int err = 0;         // the submission's final error status
  int submit_op = -1;  // which submission owes it
  friend bool operator==(const OwedNotification&,
                         const OwedNotification&) = default;
};

struct State {
  std::vector<RegularFile> files;                 // by FileId
  std::vector<Stream> streams;                    // by StreamId
  std::vector<Ofd> ofds;                          // by OfdId, never reused
  std::vector<OfdId> fds;                         // by FdId; kNone: closed
  std::vector<std::optional<Request>> requests;   // by CbId
  std::vector<LioGroup> lio_groups;               // in submission order
  std::vector<OwedNotification> owed;             // in submission order
  int next_seq = 0;

  // Before cb is submitted again: keeps what its last submission still owes.
  void Supersede(CbId cb);

  OfdId AddOfd(const Ofd& ofd);
  StreamId AddStream();

  // A live description reads from / writes to the stream.
  bool HasReader(StreamId s) const;
  bool HasWriter(StreamId s) const;

  // The description a descriptor handle names now, or nullptr (closed, badfd).
  const Ofd* OfdOfFd(FdId fd) const;

  bool IsPending(CbId cb) const;  // submitted and still EINPROGRESS
  std::vector<CbId> PendingRequests() const;

  // Decrements refs of `ofd` (a handle closed or a request completed).
  void Unref(OfdId ofd);

  // An exact rendering: equal strings <=> equal worlds (tests, debugging).
  std::string Canonical() const;

  // Equal worlds have equal hashes. Fields fixed at submission are
  // determined by (submit_op, seq) and are not compared again.
  size_t Hash() const;
  friend bool operator==(const State& a, const State& b);
};

// Declared files start with their content; everything else empty.
State InitialState(const Trace& trace);

// Helpers to edit shared bytes.
std::string WriteAt(const std::string& base, int64_t offset,
                    std::string_view data);  // zero-fills a gap (WRITE-06)

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_STATE_H_
