#include "model/state.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace aiospec {

Bytes MakeBytes(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

const std::string& BytesOf(const Bytes& b) {
  static const std::string* const kEmpty = new std::string();
  return b ? *b : *kEmpty;
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

bool State::IsPending(CbId cb) const {
  return cb >= 0 && cb < static_cast<int>(requests.size()) &&
         requests[cb].has_value() &&
         requests[cb]->status == RequestStatus::kQueued;
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
                    r->notifications, ",");
    AppendBytes(out, r->read_data);
  }
  absl::StrAppend(&out, "L");
  for (const LioGroup& g : lio_groups) {
    absl::StrAppend(&out, g.submit_op, ",", g.notifications, ";");
  }
  absl::StrAppend(&out, "N", next_seq);
  return out;
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
