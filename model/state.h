// The model state: everything POSIX AIO semantics depend on, as plain data.
//
// One State is one possible world after a prefix of the trace: regular file
// contents, stream objects (one per pipe, two per socketpair: one for each
// direction), open file descriptions with their reference counts, the
// descriptor table, and the request table. The checker keeps a set of them
// (see checker.h); rules.h moves them.
//
// States are copied a lot, so copying one copies no table: each table is a
// CowVector, a shared_ptr to its elements that a copy shares and that is
// copied only when written through a non-const State (copy-on-write), and
// byte strings are shared and immutable: a Bytes is a shared_ptr to a
// ByteString, replaced (never mutated) on write, which carries the hash of
// its bytes computed once when it was made. Two states are the same world
// iff operator== says so; Hash() is consistent with it, touches no byte
// string (it combines their cached hashes) and walks only the tables written
// since it last saw them (each table caches its hash until written), so
// deduping a set of worlds (state_set.h) is cheap. Canonical() is a
// readable rendering for tests and debugging.
//
// Copy-on-write caveat: a reference into a table of a non-const State taken
// through a const path (a const State&, a const member function such as
// OfdOfFd) sees the table as it was if the State is written afterwards (the
// write copies the table first); take it after the write, or through the
// non-const State. A mutable reference must not be kept across a copy of
// its State (the copy would share what it writes).
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
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/trace/trace.h"

namespace aiospec {

// Shared immutable bytes (file contents, stream queues, payloads, read
// data). A ByteString is flat (its bytes in `data`) or a rope: a list of
// pieces, each a range of a flat ByteString or a run of one byte, so a
// stream queue that a fill grows by a pipe's worth of fill bytes per round,
// or a read taking most of it, costs its few pieces instead of copying tens
// of kilobytes per world (fill with requests pending on the stream: seconds
// per check). A rope's bytes are made on the first BytesOf. The hash is a
// polynomial over the bytes, so a rope's hash comes from its pieces'; the
// same bytes have the same hash, flat or not, and SameBytes compares bytes.
struct ByteString {
  struct Piece {
    std::shared_ptr<const ByteString> flat;  // null: `len` copies of `run`
    int64_t off = 0;
    int64_t len = 0;
    char run = 0;
    uint64_t poly = 0;  // the polynomial hash of the piece's bytes
  };
  std::vector<Piece> pieces;  // empty: flat
  int64_t size = 0;
  uint64_t poly = 0;  // sum over bytes b_i of (b_i + 1) * B^(size - 1 - i)
  size_t hash = 0;    // poly and size mixed
  // Flat: the bytes. A rope: made once, on the first BytesOf (the model
  // judges a log on one thread; ropes are never shared between checks).
  mutable std::string data;
  mutable bool made = false;
};
using Bytes = std::shared_ptr<const ByteString>;
Bytes MakeBytes(std::string s);
const std::string& BytesOf(const Bytes& b);  // "" for null
size_t BytesHash(const Bytes& b);            // the hash of BytesOf(b)
bool SameBytes(const Bytes& a, const Bytes& b);
// Without making a rope's bytes:
int64_t BytesSize(const Bytes& b);
Bytes RunBytes(char c, int64_t n);                 // n copies of c
Bytes ConcatBytes(const Bytes& a, const Bytes& b);  // a then b
// BytesOf(b).substr(pos, len), as bytes.
Bytes SubBytes(const Bytes& b, int64_t pos, int64_t len = INT64_MAX);

// A std::vector with copy-on-write sharing: copying one shares the elements;
// any non-const access (operator[], begin/end, push_back, ...) first makes
// them this object's own (copying them when shared) and forgets the cached
// hash. Const access never copies. Not for sharing across threads.
template <typename T>
class CowVector {
 public:
  using value_type = T;
  using size_type = size_t;
  using reference = T&;
  using const_reference = const T&;
  using iterator = typename std::vector<T>::iterator;
  using const_iterator = typename std::vector<T>::const_iterator;

  CowVector() = default;
  CowVector(std::initializer_list<T> init) {
    if (init.size() > 0) rep_ = std::make_shared<Rep>(Rep{std::vector<T>(init)});
  }

  size_t size() const { return rep_ ? rep_->v.size() : 0; }
  bool empty() const { return size() == 0; }

  const T& operator[](size_t i) const { return rep_->v[i]; }
  T& operator[](size_t i) { return Mut()[i]; }
  const T& front() const { return Get().front(); }
  const T& back() const { return Get().back(); }
  T& front() { return Mut().front(); }
  T& back() { return Mut().back(); }

  const_iterator begin() const { return Get().begin(); }
  const_iterator end() const { return Get().end(); }
  const_iterator cbegin() const { return Get().begin(); }
  const_iterator cend() const { return Get().end(); }
  iterator begin() { return Mut().begin(); }
  iterator end() { return Mut().end(); }

  void push_back(const T& x) { Mut().push_back(x); }
  void push_back(T&& x) { Mut().push_back(std::move(x)); }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    return Mut().emplace_back(std::forward<Args>(args)...);
  }
  void pop_back() { Mut().pop_back(); }
  void resize(size_t n) { Mut().resize(n); }
  void resize(size_t n, const T& x) { Mut().resize(n, x); }
  void assign(size_t n, const T& x) { Mut().assign(n, x); }
  void reserve(size_t n) { Mut().reserve(n); }
  void clear() { rep_.reset(); }
  // Positions are taken before the elements are made this object's own,
  // so iterators from the const begin() work too.
  iterator erase(const_iterator pos) {
    const auto i = pos - Get().begin();
    std::vector<T>& v = Mut();
    return v.erase(v.begin() + i);
  }
  iterator erase(const_iterator first, const_iterator last) {
    const auto i = first - Get().begin();
    const auto j = last - Get().begin();
    std::vector<T>& v = Mut();
    return v.erase(v.begin() + i, v.begin() + j);
  }
  iterator insert(const_iterator pos, const T& x) {
    const auto i = pos - Get().begin();
    std::vector<T>& v = Mut();
    return v.insert(v.begin() + i, x);
  }

  // The elements, read-only.
  const std::vector<T>& vec() const { return Get(); }
  // Both hold the very same elements (so they are equal).
  bool SharesWith(const CowVector& o) const { return rep_ == o.rep_; }

  // hash(vec()), computed once until the next non-const access.
  template <typename Hash>
  size_t CachedHash(Hash hash) const {
    if (!rep_) return hash(Get());
    if (!rep_->hashed) {
      rep_->hash = hash(rep_->v);
      rep_->hashed = true;
    }
    return rep_->hash;
  }

  friend bool operator==(const CowVector& a, const CowVector& b) {
    return a.rep_ == b.rep_ || a.Get() == b.Get();
  }

 private:
  struct Rep {
    std::vector<T> v;
    mutable size_t hash = 0;
    mutable bool hashed = false;
  };
  const std::vector<T>& Get() const {
    static const std::vector<T>* const kEmpty = new std::vector<T>();
    return rep_ ? rep_->v : *kEmpty;
  }
  std::vector<T>& Mut() {
    if (!rep_) {
      rep_ = std::make_shared<Rep>();
    } else if (rep_.use_count() != 1) {
      rep_ = std::make_shared<Rep>(Rep{rep_->v});
    }
    rep_->hashed = false;
    return rep_->v;
  }

  std::shared_ptr<Rep> rep_;
};

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
  CowVector<RegularFile> files;                   // by FileId
  CowVector<Stream> streams;                      // by StreamId
  CowVector<Ofd> ofds;                            // by OfdId, never reused
  CowVector<OfdId> fds;                           // by FdId; kNone: closed
  CowVector<std::optional<Request>> requests;     // by CbId
  CowVector<LioGroup> lio_groups;                 // in submission order
  CowVector<OwedNotification> owed;               // in submission order
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

  bool IsPending(CbId cb) const {  // submitted and still EINPROGRESS
    if (cb < 0 || static_cast<size_t>(cb) >= requests.size()) return false;
    const std::optional<Request>& r = requests[cb];
    return r.has_value() && r->status == RequestStatus::kQueued;
  }
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
