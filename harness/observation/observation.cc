// Parser and printer of the observation log text format (observation.h).
//
// The parser reads one record a line. It never trusts its input: every
// number is range-checked, byte literals are capped by the byte-literal codec
// and in total by kMaxLogDataBytes, so arbitrary text costs time and memory
// linear in its size and yields a log or a "source:line:col: message" error.
//
// Leniencies, all canonicalized away by PrintLog: values may be symbolic or
// numeric; `ret=` may be left out (0), as the header's `0 file fd=-1` does;
// `fd=` is accepted and ignored; `#` starts a comment anywhere outside a byte
// string. Strictness: unknown records and fields, duplicate fields, and ops
// out of order (0, 1, 2, ...) are errors, and so is anything after `end`.
#include "harness/observation/observation.h"

#include <charconv>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/common/byte_literal.h"
#include "harness/observation/host_names.h"
#include "harness/observation/partial_log.h"

namespace aiospec {
namespace {

constexpr int kLogVersion = 1;
// All data= fields of one log together; bounds memory on hostile input.
constexpr size_t kMaxLogDataBytes = 256u << 20;

// Debian's Abseil has its own string_view, so std::string_view goes through
// these small helpers rather than absl::StartsWith and friends.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }
std::string_view Std(absl::string_view s) { return {s.data(), s.size()}; }
std::string Escaped(std::string_view s) { return absl::CHexEscape(Absl(s)); }
bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}
std::string_view StripSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// K of a comment body `begin K [anything]` (after the '#', spaces stripped).
std::optional<int> BegunK(std::string_view body) {
  if (!ConsumePrefix(&body, "begin ")) return std::nullopt;
  body = StripSpaces(body);
  std::optional<int> k = ParseDecimalInt(body.substr(0, body.find(' ')));
  if (!k || *k < 0) return std::nullopt;
  return k;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) ||
         c == '_';
}
// Characters a target name may have and still print unquoted.
bool IsBareTargetChar(char c) {
  return IsNameChar(c) || c == '.' || c == ':' || c == '/' || c == '+' ||
         c == '-' || c == '@' || c == '=';
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  int64_t value = 0;
  if (text.empty()) return std::nullopt;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// A ret= value: a number, an errno name (aio_error) or an AIO_* name
// (aio_cancel). The parser does not know the op, so it takes any of them.
std::optional<int64_t> ParseRetValue(std::string_view text) {
  if (std::optional<int64_t> n = ParseInt64(text)) return n;
  if (text.substr(0, 4) == "AIO_") return CancelResultFromName(text);
  if (text.substr(0, 1) == "E") return ErrnoFromName(text);
  return std::nullopt;
}

constexpr std::pair<HeldCallKind, std::string_view> kHeldCallNames[] = {
    {HeldCallKind::kRead, "read"},
    {HeldCallKind::kWrite, "write"},
    {HeldCallKind::kFsync, "fsync"},
    {HeldCallKind::kFdatasync, "fdatasync"}};

// calls= of a hold record: CALL,CALL,... (observation.h).
std::optional<std::vector<HeldCall>> ParseHeldCalls(std::string_view text) {
  std::vector<HeldCall> calls;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    HeldCall call;
    const size_t at = item.find('@');
    const std::string_view name = item.substr(0, at);
    bool known = false;
    for (const auto& [kind, kind_name] : kHeldCallNames) {
      if (name == kind_name) call.kind = kind, known = true;
    }
    const bool io =
        call.kind == HeldCallKind::kRead || call.kind == HeldCallKind::kWrite;
    if (!known || io != (at != std::string_view::npos)) return std::nullopt;
    if (io) {
      const std::string_view where = item.substr(at + 1);
      const size_t colon = where.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      const std::string_view off = where.substr(0, colon);
      std::optional<int64_t> len = ParseInt64(where.substr(colon + 1));
      std::optional<int64_t> offset =
          off == "-" ? std::optional<int64_t>(-1) : ParseInt64(off);
      if (!len || !offset || *len < 0 || (*offset < 0 && off != "-")) {
        return std::nullopt;
      }
      call.offset = *offset;
      call.len = *len;
    }
    calls.push_back(call);
    if (comma == std::string_view::npos) return calls;
    text.remove_prefix(comma + 1);
  }
}

constexpr std::pair<AiocbMember, std::string_view> kAiocbMemberNames[] = {
    {kAiocbFildes, "aio_fildes"},   {kAiocbOffset, "aio_offset"},
    {kAiocbBuf, "aio_buf"},         {kAiocbNbytes, "aio_nbytes"},
    {kAiocbReqprio, "aio_reqprio"}, {kAiocbSigevent, "aio_sigevent"},
    {kAiocbLioOpcode, "aio_lio_opcode"}};

// changed= of an aio_error or aio_cancel record: MEMBER,MEMBER,...
std::optional<uint32_t> ParseAiocbMembers(std::string_view text) {
  uint32_t members = 0;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    uint32_t bit = 0;
    for (const auto& [member, name] : kAiocbMemberNames) {
      if (item == name) bit = member;
    }
    if (bit == 0) return std::nullopt;
    members |= bit;
    if (comma == std::string_view::npos) return members;
    text.remove_prefix(comma + 1);
  }
}

std::string HeldCallText(const HeldCall& call) {
  std::string out;
  for (const auto& [kind, kind_name] : kHeldCallNames) {
    if (call.kind == kind) out = std::string(kind_name);
  }
  if (call.kind != HeldCallKind::kRead && call.kind != HeldCallKind::kWrite) {
    return out;
  }
  return absl::StrCat(out, "@",
                      call.offset < 0 ? "-" : absl::StrCat(call.offset), ":",
                      call.len);
}

// One key=value of a record. `col` is the 1-based column of the key.
struct Field {
  std::string_view key;
  std::string_view raw;           // the value as written (not for data=)
  std::optional<std::string> bytes;  // data= only
  int col = 0;
  int value_col = 0;
};

class LogParser {
 public:
  LogParser(std::string_view text, std::string_view source, bool partial)
      : text_(text), source_(source), partial_(partial) {}

  absl::StatusOr<PartialLog> Parse() {
    PartialLog out;
    out.log.end = RunEnd::kCrashed;  // until an `end` line says otherwise
    std::vector<std::string_view> lines = SplitLines(text_);
    // A final piece without '\n' is a torn write in an agent's output.
    const bool last_is_torn = !text_.empty() && text_.back() != '\n';
    if (!text_.empty() && text_.back() == '\n') lines.pop_back();
    for (size_t i = 0; i < lines.size(); ++i) {
      line_no_ = static_cast<int>(i) + 1;
      line_ = lines[i];
      const bool torn = partial_ && last_is_torn && i + 1 == lines.size();
      PartialLog before;
      if (torn) before = out;
      absl::Status s = ParseLine(out);
      if (!s.ok()) {
        if (torn) return before;  // drop the half-written line
        return s;
      }
    }
    if (!saw_header_ && !partial_) {
      line_no_ = 1;
      line_ = "";
      return Error(0, "empty log: expected 'aiospec-log 1'");
    }
    if (!out.ended && !partial_) {
      line_no_ = static_cast<int>(lines.size()) + 1;
      line_ = "";
      return Error(0, "log has no 'end' line (the run was cut short)");
    }
    return out;
  }

 private:
  absl::Status Error(size_t pos, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d:%d: %s", source_, line_no_, static_cast<int>(pos) + 1,
        message));
  }

  void SkipSpaces() {
    while (pos_ < line_.size() && IsSpace(line_[pos_])) ++pos_;
  }
  bool AtLineEnd() {
    SkipSpaces();
    return pos_ >= line_.size() || line_[pos_] == '#';
  }
  std::string_view Word() {
    size_t start = pos_;
    while (pos_ < line_.size() && !IsSpace(line_[pos_])) ++pos_;
    return line_.substr(start, pos_ - start);
  }

  absl::Status ParseLine(PartialLog& out) {
    pos_ = 0;
    SkipSpaces();
    if (pos_ >= line_.size()) return absl::OkStatus();
    if (line_[pos_] == '#') {
      ParseComment(line_.substr(pos_ + 1), out);
      return absl::OkStatus();
    }
    const size_t head_pos = pos_;
    std::string_view head = Word();
    if (!saw_header_) {
      if (head != "aiospec-log") {
        return Error(head_pos, "expected 'aiospec-log 1' as the first record");
      }
      SkipSpaces();
      const size_t vpos = pos_;
      std::string_view version = Word();
      if (version != absl::StrCat(kLogVersion)) {
        return Error(vpos, absl::StrFormat(
                               "unsupported log version '%s' (expected %d)",
                               version, kLogVersion));
      }
      if (!AtLineEnd()) return Error(pos_, "unexpected text after version");
      saw_header_ = true;
      return absl::OkStatus();
    }
    if (out.ended) return Error(head_pos, "record after the 'end' line");
    if (head == "aiospec-log") return Error(head_pos, "duplicate header");
    if (head == "target") return ParseTarget(head_pos, out);
    if (head == "notify") return ParseNotify(head_pos, out);
    if (head == "end") return ParseEnd(out);
    if (!head.empty() && IsDigit(head[0])) return ParseStep(head_pos, head, out);
    return Error(head_pos, absl::StrFormat("unknown record '%s'",
                                           Escaped(head)));
  }

  void ParseComment(std::string_view body, PartialLog& out) {
    std::string_view rest = StripSpaces(body);
    if (std::optional<int> k = BegunK(rest)) {
      out.last_begun = *k;
    } else if (ConsumePrefix(&rest, "error:")) {
      out.last_error = std::string(StripSpaces(rest));
    }
  }

  absl::Status ParseTarget(size_t head_pos, PartialLog& out) {
    if (saw_target_) return Error(head_pos, "duplicate 'target' record");
    if (!out.log.steps.empty() || !out.log.notifications.empty()) {
      return Error(head_pos, "'target' must come before the first op");
    }
    saw_target_ = true;
    SkipSpaces();
    if (pos_ < line_.size() && line_[pos_] == '"') {
      size_t p = pos_;
      absl::StatusOr<std::string> name = DecodeBytes(line_, &p);
      if (!name.ok()) return Error(p, Std(name.status().message()));
      pos_ = p;
      out.log.target = *std::move(name);
    } else {
      out.log.target = std::string(Word());
    }
    if (!AtLineEnd()) return Error(pos_, "unexpected text after target name");
    return absl::OkStatus();
  }

  // Reads key=value fields up to the end of the line (or a comment).
  absl::StatusOr<std::vector<Field>> ParseFields() {
    std::vector<Field> fields;
    while (!AtLineEnd()) {
      Field f;
      f.col = static_cast<int>(pos_);
      const size_t key_start = pos_;
      while (pos_ < line_.size() && IsNameChar(line_[pos_])) ++pos_;
      f.key = line_.substr(key_start, pos_ - key_start);
      if (f.key.empty() || pos_ >= line_.size() || line_[pos_] != '=') {
        return Error(key_start, "expected key=value");
      }
      for (const Field& g : fields) {
        if (g.key == f.key) {
          return Error(key_start,
                       absl::StrFormat("duplicate field '%s'", f.key));
        }
      }
      ++pos_;
      f.value_col = static_cast<int>(pos_);
      if (f.key == "data") {
        size_t p = pos_;
        absl::StatusOr<std::string> bytes = DecodeBytes(line_, &p);
        if (!bytes.ok()) return Error(p, Std(bytes.status().message()));
        if (bytes->size() > kMaxLogDataBytes - data_bytes_) {
          return Error(pos_, "data= fields exceed the log's size limit");
        }
        data_bytes_ += bytes->size();
        pos_ = p;
        f.bytes = *std::move(bytes);
        if (pos_ < line_.size() && !IsSpace(line_[pos_])) {
          return Error(pos_, "expected a space after the byte string");
        }
      } else {
        f.raw = Word();
        if (f.raw.empty()) return Error(pos_, "missing value after '='");
      }
      fields.push_back(std::move(f));
    }
    return fields;
  }

  absl::Status BadValue(const Field& f, std::string_view what) const {
    return Error(f.value_col,
                 absl::StrFormat("bad %s value '%s': expected %s", f.key,
                                 Escaped(f.raw), what));
  }
  absl::Status UnknownField(const Field& f, std::string_view record) const {
    return Error(f.col, absl::StrFormat("unknown field '%s' in %s record",
                                        f.key, record));
  }

  absl::Status ParseStep(size_t head_pos, std::string_view head,
                         PartialLog& out) {
    std::optional<int> k = ParseDecimalInt(head);
    const int expected = static_cast<int>(out.log.steps.size());
    if (!k.has_value() || head[0] == '-') {
      return Error(head_pos, absl::StrFormat("bad op index '%s'",
                                             Escaped(head)));
    }
    if (*k != expected) {
      return Error(head_pos, absl::StrFormat(
                                 "op %d out of order: expected op %d", *k,
                                 expected));
    }
    SkipSpaces();
    const size_t name_pos = pos_;
    while (pos_ < line_.size() && IsNameChar(line_[pos_])) ++pos_;
    if (pos_ == name_pos || (pos_ < line_.size() && !IsSpace(line_[pos_]))) {
      return Error(name_pos, "expected an op name");
    }
    absl::StatusOr<std::vector<Field>> fields = ParseFields();
    if (!fields.ok()) return fields.status();
    StepObservation step;  // ret= may be left out (0), as in `0 file fd=-1`
    step.op_index = *k;
    for (Field& f : *fields) {
      if (f.key == "ret") {
        std::optional<int64_t> v = ParseRetValue(f.raw);
        if (!v) return BadValue(f, "a number, errno name or AIO_* name");
        step.ret = *v;
      } else if (f.key == "errno") {
        std::optional<int> v = ErrnoFromName(f.raw);
        if (!v) return BadValue(f, "an errno name or number");
        step.err = *v;
      } else if (f.key == "data") {
        step.data = std::move(f.bytes);
      } else if (f.key == "fd") {
        // Descriptor numbers are for people; the model does not use them.
      } else if (f.key == "filled" || f.key == "notified") {
        std::optional<int64_t> v = ParseRetValue(f.raw);
        if (!v || *v < 0) return BadValue(f, "a count");
        if (!step.child) step.child.emplace();
        (f.key == "filled" ? step.child->filled : step.child->notified) = *v;
      } else if (f.key == "cancel") {
        if (!step.child) step.child.emplace();
        step.child->has_cancel = true;
        if (std::optional<int> r = CancelResultFromName(f.raw)) {
          step.child->cancel_ret = *r;
        } else if (std::optional<int> e = ErrnoFromName(f.raw)) {
          step.child->cancel_ret = -1;
          step.child->cancel_err = *e;
        } else {
          return BadValue(f, "AIO_CANCELED, AIO_NOTCANCELED, AIO_ALLDONE or an errno name");
        }
      } else if (f.key == "pending") {
        for (std::string_view name : Split(f.raw, ',')) {
          std::optional<int> v = SignalFromName(name);
          if (!v) return BadValue(f, "signal names joined by ','");
          step.pending.push_back(*v);
        }
      } else if (f.key == "changed") {
        std::optional<uint32_t> members = ParseAiocbMembers(f.raw);
        if (!members) return BadValue(f, "aiocb members like aio_offset,aio_nbytes");
        step.aiocb_changed = *members;
      } else if (f.key == "touched") {
        std::optional<int64_t> v = ParseRetValue(f.raw);
        if (!v || *v <= 0) return BadValue(f, "a positive count of bytes");
        step.scribble_touched = *v;
      } else if (f.key == "early") {
        std::optional<int64_t> v = ParseRetValue(f.raw);
        if (!v || *v <= 0) return BadValue(f, "a positive count of nanoseconds");
        step.suspend_early_ns = *v;
      } else if (f.key == "calls") {
        std::optional<std::vector<HeldCall>> calls = ParseHeldCalls(f.raw);
        if (!calls) return BadValue(f, "calls like write@0:8,fsync");
        step.calls = *std::move(calls);
      } else if (f.key == "seen" || f.key == "suspend" ||
                 f.key == "returned") {
        if (!step.storm) step.storm.emplace();
        if (absl::Status s = ParseStormField(f, &*step.storm); !s.ok()) {
          return s;
        }
      } else {
        return UnknownField(f, "an op");
      }
    }
    out.log.steps.push_back(std::move(step));
    return absl::OkStatus();
  }

  static std::vector<std::string_view> Split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
      const size_t at = text.find(sep, start);
      out.push_back(text.substr(start, at == std::string_view::npos
                                           ? std::string_view::npos
                                           : at - start));
      if (at == std::string_view::npos) return out;
      start = at + 1;
    }
  }

  static std::optional<int> StatusValue(std::string_view v) {
    if (v.empty()) return std::nullopt;
    if (v[0] == '-' || IsDigit(v[0])) return ParseDecimalInt(v);
    return ErrnoFromName(v);
  }

  absl::Status ParseStormField(const Field& f, StormObservation* st) const {
    const std::vector<std::string_view> items = Split(f.raw, ',');
    if (f.key == "seen") {
      st->has_seen = true;
      for (std::string_view item : items) {
        std::vector<int> values;
        if (item != "-") {
          for (std::string_view v : Split(item, '>')) {
            if (v == "...") {
              values.push_back(kSeenTruncated);
              continue;
            }
            std::optional<int> n = StatusValue(v);
            if (!n) return BadValue(f, "statuses joined by '>', per aiocb");
            values.push_back(*n);
          }
        }
        st->seen.push_back(std::move(values));
      }
    } else if (f.key == "suspend") {
      st->has_suspend = true;
      for (std::string_view item : items) {
        const size_t colon = item.rfind(':');
        std::optional<int> outcome =
            colon == std::string_view::npos ? std::nullopt
            : item.substr(0, colon) == "other"
                ? std::optional<int>(-1)
                : StatusValue(item.substr(0, colon));
        std::optional<int64_t> count =
            colon == std::string_view::npos
                ? std::nullopt
                : ParseRetValue(item.substr(colon + 1));
        if (!outcome || !count || *count < 0) {
          return BadValue(f, "OUTCOME:COUNT pairs");
        }
        st->suspend.emplace_back(*outcome, static_cast<uint64_t>(*count));
      }
    } else {
      for (std::string_view item : items) {
        if (item == "-") {
          st->returned.push_back(std::nullopt);
          continue;
        }
        std::optional<int64_t> v = ParseRetValue(item);
        if (!v) return BadValue(f, "numbers or '-', per aiocb");
        st->returned.push_back(*v);
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseNotify(size_t start, PartialLog& out) {
    absl::StatusOr<std::vector<Field>> fields = ParseFields();
    if (!fields.ok()) return fields.status();
    NotificationObservation n;
    bool saw_after = false, saw_kind = false;
    for (const Field& f : *fields) {
      if (f.key == "after") {
        std::optional<int> v = ParseDecimalInt(f.raw);
        if (!v || *v < 0) return BadValue(f, "an op index");
        n.after_op = *v;
        saw_after = true;
      } else if (f.key == "kind") {
        if (f.raw == "signal") {
          n.kind = NotifyKind::kSignal;
        } else if (f.raw == "thread") {
          n.kind = NotifyKind::kThread;
        } else if (f.raw == "none") {
          n.kind = NotifyKind::kNone;
        } else {
          return BadValue(f, "signal, thread or none");
        }
        saw_kind = true;
      } else if (f.key == "signo") {
        std::optional<int> v = SignalFromName(f.raw);
        if (!v) return BadValue(f, "a signal name or number");
        n.signo = *v;
      } else if (f.key == "code") {
        std::optional<int> v = SiCodeFromName(f.raw);
        if (!v) return BadValue(f, "an SI_* name or number");
        n.code = *v;
      } else if (f.key == "value") {
        std::optional<int> v = ParseDecimalInt(f.raw);
        if (!v) return BadValue(f, "a 32-bit number");
        n.value = *v;
      } else if (f.key == "status") {
        std::optional<int> v = ErrnoFromName(f.raw);
        if (!v) return BadValue(f, "a number or errno name");
        n.status_in_handler = *v;
      } else if (f.key == "thread") {
        if (f.raw.empty()) return BadValue(f, "a thread name, main or other");
        n.thread = std::string(f.raw);
      } else {
        return UnknownField(f, "a notify");
      }
    }
    if (!saw_after) return Error(start, "notify record without after=");
    if (!saw_kind) return Error(start, "notify record without kind=");
    out.log.notifications.push_back(n);
    return absl::OkStatus();
  }

  absl::Status ParseEnd(PartialLog& out) {
    SkipSpaces();
    const size_t how_pos = pos_;
    std::string_view how = Word();
    absl::StatusOr<std::vector<Field>> fields = ParseFields();
    if (!fields.ok()) return fields.status();
    ObservationLog& log = out.log;
    log.crash_signal = 0;
    log.hung_at = -1;
    if (how == "completed") {
      log.end = RunEnd::kCompleted;
      if (!fields->empty()) return UnknownField(fields->front(), "an end");
    } else if (how == "crashed") {
      log.end = RunEnd::kCrashed;
      for (const Field& f : *fields) {
        if (f.key != "signal") return UnknownField(f, "an 'end crashed'");
        std::optional<int> v = SignalFromName(f.raw);
        if (!v) return BadValue(f, "a signal name or number");
        log.crash_signal = *v;
      }
    } else if (how == "hung") {
      log.end = RunEnd::kHung;
      for (const Field& f : *fields) {
        if (f.key != "at") return UnknownField(f, "an 'end hung'");
        std::optional<int> v = ParseDecimalInt(f.raw);
        if (!v || *v < 0) return BadValue(f, "an op index");
        log.hung_at = *v;
      }
    } else {
      return Error(how_pos, "expected completed, crashed or hung after 'end'");
    }
    out.ended = true;
    return absl::OkStatus();
  }

  const std::string_view text_;
  const std::string_view source_;
  const bool partial_;
  bool saw_header_ = false;
  bool saw_target_ = false;
  size_t data_bytes_ = 0;
  int line_no_ = 0;
  std::string_view line_;
  size_t pos_ = 0;
};

std::string RetText(int64_t ret, const Trace& trace, int op_index) {
  // An await records the result of the op its thread started.
  if (op_index >= 0 && op_index < static_cast<int>(trace.ops.size())) {
    const auto* t = std::get_if<ThreadOp>(&trace.ops[op_index].body);
    if (t != nullptr && t->kind == ThreadKind::kAwait) op_index = t->started;
  }
  if (op_index >= 0 && op_index < static_cast<int>(trace.ops.size()) &&
      ret > 0 && ret <= INT_MAX) {
    const OpBody& body = trace.ops[op_index].body;
    if (std::holds_alternative<AioError>(body)) {
      return ErrnoName(static_cast<int>(ret));
    }
  }
  if (op_index >= 0 && op_index < static_cast<int>(trace.ops.size()) &&
      std::holds_alternative<AioCancel>(trace.ops[op_index].body) &&
      ret >= INT_MIN && ret <= INT_MAX) {
    std::string name = CancelResultName(static_cast<int>(ret));
    if (name.rfind("AIO_", 0) == 0) return name;
  }
  return absl::StrCat(ret);
}

}  // namespace

std::string ChildCancelText(const ChildObservation& child) {
  return child.cancel_ret == -1 ? ErrnoName(child.cancel_err)
                                : CancelResultName(static_cast<int>(child.cancel_ret));
}

std::string ChildFieldsText(const ChildObservation& child) {
  std::string out = absl::StrCat("filled=", child.filled, " notified=", child.notified);
  if (child.has_cancel) absl::StrAppend(&out, " cancel=", ChildCancelText(child));
  return out;
}

std::string AiocbMembersText(uint32_t members) {
  std::vector<std::string> names;
  for (const auto& [member, name] : kAiocbMemberNames) {
    if (members & member) names.emplace_back(name);
  }
  return absl::StrJoin(names, ",");
}

namespace {

void PrintStep(const StepObservation& step, const Trace& trace,
               std::string* out) {
  const char* name =
      step.op_index >= 0 && step.op_index < static_cast<int>(trace.ops.size())
          ? RecordName(trace.ops[step.op_index])
          : "op";
  absl::StrAppend(out, step.op_index, " ", name,
                  " ret=", RetText(step.ret, trace, step.op_index));
  if (step.err != 0) absl::StrAppend(out, " errno=", ErrnoName(step.err));
  if (step.data.has_value()) {
    absl::StrAppend(out, " data=", EncodeBytes(*step.data));
  }
  if (step.child.has_value()) absl::StrAppend(out, " ", ChildFieldsText(*step.child));
  for (size_t i = 0; i < step.calls.size(); ++i) {
    absl::StrAppend(out, i == 0 ? " calls=" : ",", HeldCallText(step.calls[i]));
  }
  if (step.aiocb_changed != 0) {
    absl::StrAppend(out, " changed=", AiocbMembersText(step.aiocb_changed));
  }
  for (size_t i = 0; i < step.pending.size(); ++i) {
    absl::StrAppend(out, i == 0 ? " pending=" : ",", SignalName(step.pending[i]));
  }
  if (step.suspend_early_ns != 0) {
    absl::StrAppend(out, " early=", step.suspend_early_ns);
  }
  if (step.scribble_touched != 0) {
    absl::StrAppend(out, " touched=", step.scribble_touched);
  }
  if (step.storm.has_value()) {
    const StormObservation& st = *step.storm;
    auto status = [](int s) {
      if (s == kSeenTruncated) return std::string("...");
      return s > 0 ? ErrnoName(s) : absl::StrCat(s);
    };
    if (st.has_seen) {
      std::vector<std::string> per_cb;
      for (const std::vector<int>& values : st.seen) {
        std::vector<std::string> names;
        for (int v : values) names.push_back(status(v));
        per_cb.push_back(names.empty() ? "-" : absl::StrJoin(names, ">"));
      }
      absl::StrAppend(out, " seen=", absl::StrJoin(per_cb, ","));
    }
    if (st.has_suspend) {
      std::vector<std::string> items;
      for (const auto& [outcome, count] : st.suspend) {
        items.push_back(absl::StrCat(
            outcome == -1 ? "other" : outcome > 0 ? ErrnoName(outcome) : "0",
            ":", count));
      }
      absl::StrAppend(out, " suspend=", absl::StrJoin(items, ","));
    }
    if (!st.returned.empty()) {
      std::vector<std::string> items;
      for (const std::optional<int64_t>& r : st.returned) {
        items.push_back(r.has_value() ? absl::StrCat(*r) : "-");
      }
      absl::StrAppend(out, " returned=", absl::StrJoin(items, ","));
    }
  }
  out->push_back('\n');
}

void PrintNotification(const NotificationObservation& n, std::string* out) {
  const char* kind = n.kind == NotifyKind::kSignal   ? "signal"
                     : n.kind == NotifyKind::kThread ? "thread"
                                                     : "none";
  absl::StrAppend(out, "notify after=", n.after_op, " kind=", kind, " signo=",
                  n.signo > 0 ? SignalName(n.signo) : absl::StrCat(n.signo),
                  " code=",
                  n.kind == NotifyKind::kSignal ? SiCodeName(n.code)
                                                : absl::StrCat(n.code),
                  " value=", n.value);
  if (!n.thread.empty()) absl::StrAppend(out, " thread=", n.thread);
  if (n.status_in_handler.has_value()) {
    const int s = *n.status_in_handler;
    absl::StrAppend(out, " status=", s > 0 ? ErrnoName(s) : absl::StrCat(s));
  }
  out->push_back('\n');
}

std::string TargetText(const std::string& target) {
  for (char c : target) {
    if (!IsBareTargetChar(c)) return EncodeBytes(target);
  }
  return target;
}

}  // namespace

absl::StatusOr<ObservationLog> ParseLog(std::string_view text,
                                        std::string_view source_name) {
  absl::StatusOr<PartialLog> parsed =
      LogParser(text, source_name, /*partial=*/false).Parse();
  if (!parsed.ok()) return parsed.status();
  return std::move(parsed->log);
}

std::optional<int> BegunOp(std::string_view line) {
  line = StripSpaces(line);
  if (!ConsumePrefix(&line, "#")) return std::nullopt;
  return BegunK(StripSpaces(line));
}

absl::StatusOr<PartialLog> ParsePartialLog(std::string_view text,
                                           std::string_view source_name) {
  return LogParser(text, source_name, /*partial=*/true).Parse();
}

std::string PrintLog(const ObservationLog& log, const Trace& trace) {
  std::string out = absl::StrCat("aiospec-log ", kLogVersion, "\n");
  if (!log.target.empty()) {
    absl::StrAppend(&out, "target ", TargetText(log.target), "\n");
  }
  // Each notification goes after the step it arrived in; notifications keep
  // their order even if it is not sorted, so that parsing gives `log` back.
  size_t next_step = 0;
  for (const NotificationObservation& n : log.notifications) {
    while (next_step < log.steps.size() &&
           log.steps[next_step].op_index <= n.after_op) {
      PrintStep(log.steps[next_step++], trace, &out);
    }
    PrintNotification(n, &out);
  }
  while (next_step < log.steps.size()) {
    PrintStep(log.steps[next_step++], trace, &out);
  }
  switch (log.end) {
    case RunEnd::kCompleted:
      out += "end completed\n";
      break;
    case RunEnd::kCrashed:
      out += "end crashed";
      if (log.crash_signal != 0) {
        absl::StrAppend(&out, " signal=", SignalName(log.crash_signal));
      }
      out += "\n";
      break;
    case RunEnd::kHung:
      out += "end hung";
      if (log.hung_at >= 0) absl::StrAppend(&out, " at=", log.hung_at);
      out += "\n";
      break;
  }
  return out;
}

}  // namespace aiospec
