#include "model/state.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace aiospec {

namespace {

using Piece = ByteString::Piece;

// The polynomial hash's base (odd), arithmetic mod 2^64.
constexpr uint64_t kBase = 0x9E3779B97F4A7C15ull;
// Ropes at most this long are made flat at once: short bytes gain nothing
// from pieces.
constexpr int64_t kSmall = 64;

// kDigit[j][c] = (c + 1) * B^(7 - j): a byte's term at place j of 8, looked
// up, so eight bytes cost one multiplication (the hash of every flat string
// made, e.g. a file's content after each write: multiplying byte by byte
// made the checker a tenth slower).
struct DigitTable {
  uint64_t digit[8][256];
  DigitTable() {
    uint64_t pow = 1;
    for (int j = 7; j >= 0; --j, pow *= kBase) {
      for (int c = 0; c < 256; ++c) digit[j][c] = (uint64_t(c) + 1) * pow;
    }
  }
};

uint64_t PolyOf(const char* p, int64_t n) {
  static const DigitTable* const kDigit = new DigitTable;
  constexpr uint64_t b2 = kBase * kBase, b4 = b2 * b2, b8 = b4 * b4;
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  const auto& d = kDigit->digit;
  uint64_t h = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    h = h * b8 + d[0][u[i]] + d[1][u[i + 1]] + d[2][u[i + 2]] + d[3][u[i + 3]] +
        d[4][u[i + 4]] + d[5][u[i + 5]] + d[6][u[i + 6]] + d[7][u[i + 7]];
  }
  for (; i < n; ++i) h = h * kBase + u[i] + 1;
  return h;
}

uint64_t Pow(int64_t n) {
  uint64_t out = 1, b = kBase;
  for (uint64_t e = static_cast<uint64_t>(n); e != 0; e >>= 1, b *= b) {
    if (e & 1) out *= b;
  }
  return out;
}

// The hash of n copies of c: (c + 1) * (1 + B + ... + B^(n-1)), the sum
// built bit by bit from the top (m -> 2m, m -> m + 1).
uint64_t RunPoly(char c, int64_t n) {
  uint64_t sum = 0, pow = 1;  // for m = 0
  for (int bit = 62; bit >= 0; --bit) {
    sum *= 1 + pow;
    pow *= pow;
    if ((static_cast<uint64_t>(n) >> bit) & 1) {
      sum = sum * kBase + 1;
      pow *= kBase;
    }
  }
  return (uint64_t{static_cast<unsigned char>(c)} + 1) * sum;
}

size_t MixedHash(uint64_t poly, int64_t size) { return absl::HashOf(poly, size); }

bool IsFlat(const Bytes& b) { return b == nullptr || b->pieces.empty(); }

Piece FlatPiece(const Bytes& flat, int64_t off, int64_t len) {
  const uint64_t poly = off == 0 && len == flat->size
                            ? flat->poly
                            : PolyOf(flat->data.data() + off, len);
  return Piece{flat, off, len, 0, poly};
}

// Appends `p`, merged into the last piece when they continue each other.
void Push(std::vector<Piece>& v, Piece p) {
  if (p.len == 0) return;
  if (!v.empty()) {
    Piece& last = v.back();
    const bool runs = last.flat == nullptr && p.flat == nullptr && last.run == p.run;
    const bool ranges = last.flat != nullptr && last.flat == p.flat &&
                        last.off + last.len == p.off;
    if (runs || ranges) {
      last.poly = last.poly * Pow(p.len) + p.poly;
      last.len += p.len;
      return;
    }
  }
  v.push_back(std::move(p));
}

void PushAll(std::vector<Piece>& v, const Bytes& b) {
  if (BytesSize(b) == 0) return;
  if (IsFlat(b)) return Push(v, Piece{b, 0, b->size, 0, b->poly});
  for (const Piece& p : b->pieces) Push(v, p);
}

std::string Concatenated(const std::vector<Piece>& v, int64_t size) {
  std::string s;
  s.reserve(static_cast<size_t>(size));
  for (const Piece& p : v) {
    if (p.flat != nullptr) {
      s.append(p.flat->data, static_cast<size_t>(p.off), static_cast<size_t>(p.len));
    } else {
      s.append(static_cast<size_t>(p.len), p.run);
    }
  }
  return s;
}

Bytes FromPieces(std::vector<Piece> v) {
  if (v.size() == 1 && v[0].flat != nullptr && v[0].off == 0 &&
      v[0].len == v[0].flat->size) {
    return v[0].flat;
  }
  int64_t size = 0;
  uint64_t poly = 0;
  for (const Piece& p : v) {
    size += p.len;
    poly = poly * Pow(p.len) + p.poly;
  }
  if (size <= kSmall) return MakeBytes(Concatenated(v, size));
  auto out = std::make_shared<ByteString>();
  out->pieces = std::move(v);
  out->size = size;
  out->poly = poly;
  out->hash = MixedHash(poly, size);
  return out;
}

}  // namespace

Bytes MakeBytes(std::string s) {
  auto out = std::make_shared<ByteString>();
  out->size = static_cast<int64_t>(s.size());
  out->poly = PolyOf(s.data(), out->size);
  out->hash = MixedHash(out->poly, out->size);
  out->data = std::move(s);
  out->made = true;
  return out;
}

const std::string& BytesOf(const Bytes& b) {
  static const std::string* const kEmpty = new std::string();
  if (b == nullptr) return *kEmpty;
  if (!b->made) {
    b->data = Concatenated(b->pieces, b->size);
    b->made = true;
  }
  return b->data;
}

size_t BytesHash(const Bytes& b) {
  static const size_t kEmptyHash = MixedHash(0, 0);
  return b ? b->hash : kEmptyHash;
}

int64_t BytesSize(const Bytes& b) { return b ? b->size : 0; }

bool SameBytes(const Bytes& a, const Bytes& b) {
  if (a.get() == b.get()) return true;
  if (BytesSize(a) != BytesSize(b) || BytesHash(a) != BytesHash(b)) return false;
  if (IsFlat(a) && IsFlat(b)) return BytesOf(a) == BytesOf(b);
  // Piece against piece, a run against bytes only by looking at them.
  std::vector<Piece> pa, pb;
  PushAll(pa, a);
  PushAll(pb, b);
  size_t i = 0, j = 0;
  int64_t oi = 0, oj = 0;
  while (i < pa.size() && j < pb.size()) {
    const Piece& x = pa[i];
    const Piece& y = pb[j];
    const int64_t n = std::min(x.len - oi, y.len - oj);
    if (x.flat == nullptr && y.flat == nullptr) {
      if (x.run != y.run) return false;
    } else if (x.flat == nullptr || y.flat == nullptr) {
      const Piece& run = x.flat == nullptr ? x : y;
      const char* p = x.flat == nullptr ? y.flat->data.data() + y.off + oj
                                        : x.flat->data.data() + x.off + oi;
      for (int64_t k = 0; k < n; ++k) {
        if (p[k] != run.run) return false;
      }
    } else if (std::memcmp(x.flat->data.data() + x.off + oi,
                           y.flat->data.data() + y.off + oj,
                           static_cast<size_t>(n)) != 0) {
      return false;
    }
    oi += n;
    oj += n;
    if (oi == x.len) ++i, oi = 0;
    if (oj == y.len) ++j, oj = 0;
  }
  return true;
}

Bytes RunBytes(char c, int64_t n) {
  std::vector<Piece> v;
  Push(v, Piece{nullptr, 0, n, c, RunPoly(c, n)});
  return FromPieces(std::move(v));
}

Bytes ConcatBytes(const Bytes& a, const Bytes& b) {
  if (BytesSize(b) == 0 && a != nullptr) return a;
  if (BytesSize(a) == 0 && b != nullptr) return b;
  std::vector<Piece> v;
  PushAll(v, a);
  PushAll(v, b);
  return FromPieces(std::move(v));
}

Bytes SubBytes(const Bytes& b, int64_t pos, int64_t len) {
  const int64_t size = BytesSize(b);
  pos = std::min(pos, size);
  len = std::min(len, size - pos);
  if (pos == 0 && len == size && b != nullptr) return b;
  if (IsFlat(b)) {
    if (len <= kSmall) return MakeBytes(BytesOf(b).substr(pos, len));
    return FromPieces({FlatPiece(b, pos, len)});
  }
  std::vector<Piece> v;
  for (const Piece& p : b->pieces) {
    if (len == 0) break;
    if (pos >= p.len) {
      pos -= p.len;
      continue;
    }
    const int64_t take = std::min(len, p.len - pos);
    if (pos == 0 && take == p.len) {
      Push(v, p);
    } else if (p.flat != nullptr) {
      Push(v, FlatPiece(p.flat, p.off + pos, take));
    } else {
      Push(v, Piece{nullptr, 0, take, p.run, RunPoly(p.run, take)});
    }
    pos = 0;
    len -= take;
  }
  return FromPieces(std::move(v));
}

OfdId State::AddOfd(const Ofd& ofd) {
  ofds.push_back(ofd);
  return static_cast<OfdId>(ofds.size() - 1);
}

StreamId State::AddStream() {
  streams.push_back(Stream{MakeBytes(""), -1});
  return static_cast<StreamId>(streams.size() - 1);
}

bool State::HasReader(StreamId s) const {
  return std::any_of(ofds.begin(), ofds.end(), [s](const Ofd& o) {
    return o.refs > 0 && o.kind == OfdKind::kStream && o.read_stream == s;
  });
}

bool State::HasWriter(StreamId s) const {
  return std::any_of(ofds.begin(), ofds.end(), [s](const Ofd& o) {
    return o.refs > 0 && o.kind == OfdKind::kStream && o.write_stream == s;
  });
}

const Ofd* State::OfdOfFd(FdId fd) const {
  if (fd < 0 || fd >= static_cast<int>(fds.size())) return nullptr;
  if (fds[fd] == kNone) return nullptr;
  return &ofds[fds[fd]];
}

std::vector<CbId> State::PendingRequests() const {
  std::vector<CbId> out;
  for (CbId cb = 0; cb < static_cast<int>(requests.size()); ++cb) {
    if (IsPending(cb)) out.push_back(cb);
  }
  return out;
}

void State::Unref(OfdId ofd) {
  if (ofd != kNone) --ofds[ofd].refs;
}

namespace {
void AppendBytes(std::string& out, const Bytes& b) {
  const std::string& s = BytesOf(b);
  absl::StrAppend(&out, s.size(), ":", s, ";");
}
}  // namespace

std::string State::Canonical() const {
  std::string out;
  out.reserve(256);
  absl::StrAppend(&out, "F");
  for (const RegularFile& f : files) AppendBytes(out, f.content);
  absl::StrAppend(&out, "S");
  for (const Stream& s : streams) {
    absl::StrAppend(&out, s.capacity, ",");
    AppendBytes(out, s.queue);
  }
  absl::StrAppend(&out, "O");
  for (const Ofd& o : ofds) {
    absl::StrAppend(&out, static_cast<int>(o.kind), ",", o.file, ",",
                    o.read_stream, ",", o.write_stream, ",", o.readable, ",",
                    o.writable, ",", o.append, ",", o.refs, ";");
  }
  absl::StrAppend(&out, "D");
  for (OfdId o : fds) absl::StrAppend(&out, o, ",");
  absl::StrAppend(&out, "R");
  for (const std::optional<Request>& r : requests) {
    if (!r.has_value()) {
      absl::StrAppend(&out, "-;");
      continue;
    }
    // Fields fixed at submission are determined by (submit_op, seq); only
    // what moves afterwards needs rendering, plus the binding for safety.
    absl::StrAppend(&out, r->submit_op, ",", r->seq, ",", r->ofd, ",",
                    r->pending_error, ",", static_cast<int>(r->status), ",",
                    r->transferred, ",", r->ret, ",", r->err, ",",
                    r->notifications, ",", static_cast<int>(r->undecided), ",",
                    r->cancel_group, ",", r->queued ? "q," : "u,",
                    r->held ? "h," : "");
    AppendBytes(out, r->read_data);
  }
  absl::StrAppend(&out, "L");
  for (const LioGroup& g : lio_groups) {
    absl::StrAppend(&out, g.submit_op, ",", g.notifications, ";");
  }
  absl::StrAppend(&out, "O");
  for (const OwedNotification& o : owed) {
    absl::StrAppend(&out, o.submit_op, ",", o.err, ";");
  }
  absl::StrAppend(&out, "N", next_seq);
  return out;
}

void State::Supersede(CbId cb) {
  const std::optional<Request>& r = requests[cb];
  if (!r || !r->queued || r->notify.kind == NotifyKind::kNone ||
      r->notifications > 0 || IsPending(cb)) {
    return;
  }
  owed.push_back({r->notify, r->err, r->submit_op});
}

namespace {

// boost::hash_combine, widened to 64 bits: enough spread for sets of a few
// thousand worlds; equality decides, the hash only sorts into buckets.
inline void Mix(uint64_t& h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
}

bool SameRequest(const std::optional<Request>& a,
                 const std::optional<Request>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a.has_value()) return true;
  return a->submit_op == b->submit_op && a->seq == b->seq &&
         a->ofd == b->ofd && a->pending_error == b->pending_error &&
         a->status == b->status && a->transferred == b->transferred &&
         a->ret == b->ret && a->err == b->err &&
         a->notifications == b->notifications &&
         a->undecided == b->undecided && a->cancel_group == b->cancel_group &&
         a->queued == b->queued && a->held == b->held &&
         SameBytes(a->read_data, b->read_data);
}

}  // namespace

namespace {

uint64_t Pair(int32_t hi, int32_t lo) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(hi)) << 32) |
         static_cast<uint32_t>(lo);
}

size_t HashFiles(const std::vector<RegularFile>& files) {
  uint64_t h = files.size();
  for (const RegularFile& f : files) Mix(h, BytesHash(f.content));
  return h;
}

size_t HashStreams(const std::vector<Stream>& streams) {
  uint64_t h = streams.size();
  for (const Stream& s : streams) {
    Mix(h, static_cast<uint64_t>(s.capacity));
    Mix(h, BytesHash(s.queue));
  }
  return h;
}

size_t HashOfds(const std::vector<Ofd>& ofds) {
  uint64_t h = ofds.size();
  for (const Ofd& o : ofds) {
    Mix(h, (static_cast<uint64_t>(o.kind) << 3) | (o.readable << 2) |
               (o.writable << 1) | o.append);
    Mix(h, Pair(o.file, o.refs));
    Mix(h, Pair(o.read_stream, o.write_stream));
  }
  return h;
}

size_t HashFds(const std::vector<OfdId>& fds) {
  uint64_t h = fds.size();
  for (OfdId o : fds) Mix(h, static_cast<uint64_t>(o));
  return h;
}

size_t HashRequests(const std::vector<std::optional<Request>>& requests) {
  uint64_t h = requests.size();
  for (const std::optional<Request>& r : requests) {
    if (!r.has_value()) {
      Mix(h, 0x5bd1e995);
      continue;
    }
    // Three words per request (the fields SameRequest compares, folded):
    // the fields that tell worlds apart (status, results) stay whole.
    const uint64_t flags = (static_cast<uint64_t>(r->status) << 5) |
                           (static_cast<uint64_t>(r->undecided) << 2) |
                           (static_cast<uint64_t>(r->held) << 1) | r->queued;
    Mix(h, Pair(r->submit_op ^ (r->seq << 20), r->err) ^ (flags << 52));
    Mix(h, static_cast<uint64_t>(r->ret) ^
               std::rotl(static_cast<uint64_t>(r->transferred), 32) ^
               std::rotl(Pair(r->ofd, r->pending_error), 16));
    Mix(h, Pair(r->notifications, r->cancel_group) ^ BytesHash(r->read_data));
  }
  return h;
}

size_t HashLioGroups(const std::vector<LioGroup>& groups) {
  uint64_t h = groups.size();
  for (const LioGroup& g : groups) Mix(h, Pair(g.submit_op, g.notifications));
  return h;
}

size_t HashOwed(const std::vector<OwedNotification>& owed) {
  uint64_t h = owed.size();
  for (const OwedNotification& o : owed) Mix(h, Pair(o.submit_op, o.err));
  return h;
}

}  // namespace

size_t State::Hash() const {
  uint64_t h = files.CachedHash(HashFiles);
  Mix(h, streams.CachedHash(HashStreams));
  Mix(h, ofds.CachedHash(HashOfds));
  Mix(h, fds.CachedHash(HashFds));
  Mix(h, requests.CachedHash(HashRequests));
  Mix(h, lio_groups.CachedHash(HashLioGroups));
  Mix(h, owed.CachedHash(HashOwed));
  Mix(h, static_cast<uint64_t>(next_seq));
  return static_cast<size_t>(h);
}

bool operator==(const State& a, const State& b) {
  if (a.next_seq != b.next_seq || a.files.size() != b.files.size() ||
      a.streams.size() != b.streams.size() || a.ofds.size() != b.ofds.size() ||
      a.fds != b.fds || a.requests.size() != b.requests.size() ||
      a.lio_groups.size() != b.lio_groups.size() || a.owed != b.owed) {
    return false;
  }
  // A table shared by both (the usual case for all but the one or two a
  // step wrote) is equal without a look at its elements.
  if (!a.ofds.SharesWith(b.ofds)) {
    for (size_t i = 0; i < a.ofds.size(); ++i) {
      const Ofd& x = a.ofds[i];
      const Ofd& y = b.ofds[i];
      if (x.kind != y.kind || x.file != y.file ||
          x.read_stream != y.read_stream || x.write_stream != y.write_stream ||
          x.readable != y.readable || x.writable != y.writable ||
          x.append != y.append || x.refs != y.refs) {
        return false;
      }
    }
  }
  if (!a.requests.SharesWith(b.requests)) {
    for (size_t i = 0; i < a.requests.size(); ++i) {
      if (!SameRequest(a.requests[i], b.requests[i])) return false;
    }
  }
  if (!a.lio_groups.SharesWith(b.lio_groups)) {
    for (size_t i = 0; i < a.lio_groups.size(); ++i) {
      if (a.lio_groups[i].submit_op != b.lio_groups[i].submit_op ||
          a.lio_groups[i].notifications != b.lio_groups[i].notifications) {
        return false;
      }
    }
  }
  if (!a.streams.SharesWith(b.streams)) {
    for (size_t i = 0; i < a.streams.size(); ++i) {
      if (a.streams[i].capacity != b.streams[i].capacity ||
          !SameBytes(a.streams[i].queue, b.streams[i].queue)) {
        return false;
      }
    }
  }
  if (!a.files.SharesWith(b.files)) {
    for (size_t i = 0; i < a.files.size(); ++i) {
      if (!SameBytes(a.files[i].content, b.files[i].content)) return false;
    }
  }
  return true;
}

State InitialState(const Trace& trace) {
  State s;
  s.files.resize(trace.file_names.size());
  for (RegularFile& f : s.files) f.content = MakeBytes("");
  for (const Op& op : trace.ops) {
    if (const auto* decl = std::get_if<DeclareFile>(&op.body)) {
      s.files[decl->file].content = MakeBytes(decl->content);
    }
  }
  s.fds.assign(trace.fd_names.size(), kNone);
  s.requests.resize(trace.cb_names.size());
  return s;
}

std::string WriteAt(const std::string& base, int64_t offset,
                    std::string_view data) {
  std::string out = base;
  const size_t end = static_cast<size_t>(offset) + data.size();
  if (out.size() < end) out.resize(end, '\0');
  std::copy(data.begin(), data.end(), out.begin() + offset);
  return out;
}

}  // namespace aiospec
