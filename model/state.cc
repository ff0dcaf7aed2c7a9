#include "model/state.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace aiospec {

Bytes MakeBytes(std::string s) {
  const size_t hash = absl::HashOf(s);
  return std::make_shared<const ByteString>(ByteString{std::move(s), hash});
}

const std::string& BytesOf(const Bytes& b) {
  static const std::string* const kEmpty = new std::string();
  return b ? b->data : *kEmpty;
}

size_t BytesHash(const Bytes& b) {
  static const size_t kEmptyHash = absl::HashOf(std::string());
  return b ? b->hash : kEmptyHash;
}

bool SameBytes(const Bytes& a, const Bytes& b) {
  if (a.get() == b.get()) return true;
  return BytesHash(a) == BytesHash(b) && BytesOf(a) == BytesOf(b);
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
