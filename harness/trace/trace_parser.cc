#include "harness/trace/trace_parser.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "harness/common/byte_literal.h"
#include "harness/trace/payload.h"

namespace aiospec {
namespace {

enum class TokenKind { kWord, kOpenBracket, kCloseBracket, kSemicolon };

// One token of a line. A word may hold one byte literal (`data="x"*3`,
// `"text"`); the literal is decoded while tokenizing, because only the
// literal syntax knows where a quoted string with spaces ends.
struct Token {
  TokenKind kind = TokenKind::kWord;
  absl::string_view text;  // raw source text of the token
  int col = 0;            // 1-based column of text[0]
  std::optional<size_t> literal_at;  // offset of the literal within text
  std::string bytes;                 // the decoded literal
};

// A `key=value` argument.
struct KeyValue {
  absl::string_view key;
  absl::string_view value;
  int key_col = 0;
  int value_col = 0;
  const Token* token = nullptr;
};

// The arguments of an op (or of one lio_listio element) after its keyword:
// positional tokens in order, and key=value pairs by key.
struct Args {
  std::vector<const Token*> positional;
  absl::flat_hash_map<absl::string_view, KeyValue> named;

  const KeyValue* Find(absl::string_view key) const {
    auto it = named.find(key);
    return it == named.end() ? nullptr : &it->second;
  }
};

enum class HandleKind { kFile, kFd, kCb, kThread };

struct Handle {
  HandleKind kind;
  int index;
};

const char* KindNoun(HandleKind kind) {
  switch (kind) {
    case HandleKind::kFile: return "file";
    case HandleKind::kFd: return "descriptor";
    case HandleKind::kCb: return "aiocb";
    case HandleKind::kThread: return "thread";
  }
  return "handle";
}

// Token text as it appears in a message: escaped and cut, so binary garbage
// in the input cannot make an unreadable or huge message.
std::string Shown(absl::string_view text) {
  constexpr size_t kMaxShown = 40;
  if (text.size() > kMaxShown) {
    return absl::StrCat(absl::CHexEscape(text.substr(0, kMaxShown)), "...");
  }
  return absl::CHexEscape(text);
}

bool IsNameStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

bool IsNameSyntax(absl::string_view s) {
  if (s.empty() || !IsNameStart(s[0])) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool IsSeparator(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '#' || c == '[' ||
         c == ']' || c == ';';
}

// `-?[0-9]+` as int64, or nullopt (bad syntax or overflow).
std::optional<int64_t> ParseInt64(absl::string_view s) {
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  // Accumulate as a negative number so INT64_MIN parses.
  int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    if (value < (std::numeric_limits<int64_t>::min() + digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == std::numeric_limits<int64_t>::min()) return std::nullopt;
    value = -value;
  }
  return value;
}

bool IsAssertionId(absl::string_view s) {
  // AIO-[A-Z]+-[0-9]+
  if (!absl::ConsumePrefix(&s, "AIO-")) return false;
  size_t letters = 0;
  while (letters < s.size() && s[letters] >= 'A' && s[letters] <= 'Z') {
    ++letters;
  }
  if (letters == 0 || letters >= s.size() || s[letters] != '-') return false;
  s.remove_prefix(letters + 1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view source) {
    trace_.source = std::string(source);
  }

  absl::StatusOr<Trace> Parse(absl::string_view text);

 private:
  absl::Status Error(int col, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(trace_.source, ":", line_no_, ":", col, ": ", message));
  }

  absl::Status Tokenize(absl::string_view line);
  absl::Status ParseHeader();
  absl::Status ParseLine();
  absl::Status ParseOp(absl::Span<const Token> tokens, OpBody* body);

  // Splits tokens into positional and key=value args; rejects keys not in
  // `allowed`, duplicate keys, and brackets.
  absl::StatusOr<Args> SplitArgs(absl::Span<const Token> tokens,
                                 absl::string_view op_name,
                                 std::initializer_list<absl::string_view> allowed);
  absl::Status ExpectPositional(const Args& args, const Token& keyword,
                                size_t count, absl::string_view what);
  absl::StatusOr<const KeyValue*> Required(const Args& args,
                                           const Token& keyword,
                                           absl::string_view key);

  // Values.
  absl::StatusOr<int64_t> Int64Value(absl::string_view text, int col) const;
  absl::StatusOr<int32_t> Int32Value(absl::string_view text, int col) const;
  absl::StatusOr<std::string> BytesValue(const KeyValue& kv) const;
  absl::StatusOr<Notify> NotifyValue(const KeyValue& kv) const;
  // N of `SIGRTMIN+N`, a signal a trace may name (trace.h, Notify).
  absl::StatusOr<int> RtSignal(absl::string_view text, int col) const;
  // `lio_opcode=`, if given (nullopt when absent).
  absl::StatusOr<std::optional<LioOpcodeValue>> LioOpcodeArg(
      const Args& args) const;
  absl::StatusOr<Timeout> TimeoutValue(const KeyValue& kv,
                                       bool allow_negative) const;
  absl::StatusOr<uint32_t> OpenFlagsValue(const KeyValue& kv) const;

  // Handles.
  absl::Status CheckName(absl::string_view name, int col,
                         absl::string_view what) const;
  absl::StatusOr<FileId> DeclareFileName(const Token& tok);
  absl::StatusOr<FileId> UseFile(const Token& tok) const;
  // A descriptor argument of a call: an open descriptor, or `badfd` where
  // the call is under test and an invalid number is a meaningful input.
  absl::StatusOr<FdId> UseFd(absl::string_view name, int col,
                             bool allow_badfd) const;
  // A descriptor the op opens: new, or closed. Marks it open.
  absl::StatusOr<FdId> OpenFd(const Token& tok);
  // dup2's target: new, closed or open. Marks it open.
  absl::StatusOr<FdId> Dup2Target(const Token& tok);
  absl::StatusOr<FdId> FdHandle(absl::string_view name, int col,
                                bool create);
  absl::StatusOr<CbId> DefineCb(const Token& tok);
  absl::StatusOr<CbId> UseCb(const Token& tok, bool allow_null) const;

  absl::Status ParseIoRequest(const Args& args, const Token& keyword,
                              bool is_write, IoRequest* req);
  absl::StatusOr<LioListio> ParseLio(absl::Span<const Token> tokens);
  absl::StatusOr<LioElement> ParseLioElement(absl::Span<const Token> tokens,
                                             const Token& separator);
  absl::Status CheckListLength(size_t n, int col) const;
  absl::StatusOr<Storm> ParseStorm(const Args& args, const Token& keyword);
  absl::StatusOr<Proc> ParseProc(const Args& args, const Token& keyword);
  absl::StatusOr<Hold> ParseHold(const Args& args, const Token& keyword);
  // `kv`'s value as CB+CB...: appends each to *out; rejects duplicates, and
  // a CB for which reject() gives a reason (else "").
  absl::Status CbPlusList(const KeyValue& kv, std::vector<CbId>* out,
                          absl::FunctionRef<const char*(CbId)> reject);
  // The proc invariants of trace.h, for an op just parsed.
  absl::Status CheckProcUse(const OpBody& body, int col);
  // The storm invariants of trace.h, for an op just parsed.
  absl::Status CheckStormUse(const OpBody& body, int col);
  // Threads (trace.h, ThreadOp): `thread T`, `await T`, `cancel T`,
  // `exit T`, and the `on T` / `start T` prefixes of `op`.
  absl::StatusOr<ThreadOp> ParseThreadOp(absl::Span<const Token> tokens);
  absl::StatusOr<ThreadId> UseThread(const Token& tok) const;
  absl::Status CheckThreadUse(const Op& op, int col);
  // After `aio_return CB scribble`, CB is garbage until submitted again.
  absl::Status CheckScribbleUse(const OpBody& body, int col);

  Trace trace_;
  int line_no_ = 0;
  std::vector<Token> tokens_;
  size_t literal_bytes_ = 0;
  bool seen_header_ = false;
  bool seen_about_ = false;
  absl::flat_hash_map<std::string, Handle> names_;
  std::vector<bool> fd_open_;
  std::optional<Storm> storm_;  // the storm that is on, if any
  int storm_line_ = 0;
  int fork_line_ = 0;                    // the unjoined `proc fork`, or 0
  bool fork_is_exec_ = false;            // ... which is a `proc exec`
  FdId fork_cancel_fd_ = kNullHandle;    // ... and its child's cancel=
  absl::flat_hash_set<CbId> child_cbs_;  // aiocbs of `proc exit` children
  absl::flat_hash_set<CbId> scribbled_;  // by `aio_return CB scribble`, not resubmitted
  absl::flat_hash_set<FdId> hold_fds_;   // open with the hold flag
  std::vector<bool> thread_alive_;       // per thread: declared, not ended
  std::vector<int> thread_started_;      // per thread: its started op, or -1
  int busy_threads_ = 0;                 // threads with a started op
  int started_line_ = 0;                 // the first unawaited `start`
};

absl::StatusOr<Trace> Parser::Parse(absl::string_view text) {
  if (text.size() > kMaxTraceTextBytes) {
    line_no_ = 1;
    return Error(1, absl::StrFormat("trace text is larger than %d bytes",
                                    kMaxTraceTextBytes));
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    ++line_no_;
    if (absl::Status s = Tokenize(text.substr(start, end - start)); !s.ok()) {
      return s;
    }
    if (!tokens_.empty()) {
      absl::Status s = seen_header_ ? ParseLine() : ParseHeader();
      if (!s.ok()) return s;
    }
    start = end + 1;
  }
  if (!seen_header_) {
    line_no_ = 1;
    return Error(1, "empty trace: expected the header 'aiospec-trace 1'");
  }
  if (storm_.has_value()) {
    line_no_ = storm_line_;
    return Error(1, "storm is still on at the end of the trace (add 'storm off')");
  }
  if (fork_line_ != 0) {
    line_no_ = fork_line_;
    return Error(1, "the forked child is never joined (add 'proc join')");
  }
  if (busy_threads_ > 0) {
    line_no_ = started_line_;
    return Error(1, "a started op is never awaited (add 'await')");
  }
  return std::move(trace_);
}

absl::Status Parser::Tokenize(absl::string_view line) {
  tokens_.clear();
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') break;
    Token tok;
    tok.col = static_cast<int>(i) + 1;
    if (c == '[' || c == ']' || c == ';') {
      tok.kind = c == '['   ? TokenKind::kOpenBracket
                 : c == ']' ? TokenKind::kCloseBracket
                            : TokenKind::kSemicolon;
      tok.text = line.substr(i, 1);
      tokens_.push_back(std::move(tok));
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < line.size() && !IsSeparator(line[i])) {
      if (tok.literal_at.has_value()) {
        return Error(static_cast<int>(i) + 1,
                     absl::StrCat("unexpected '", Shown(line.substr(i, 1)),
                                  "' after a byte string"));
      }
      if (line[i] != '"') {
        ++i;
        continue;
      }
      size_t pos = i;
      absl::StatusOr<std::string> bytes =
          DecodeBytes(std::string_view(line.data(), line.size()), &pos);
      if (!bytes.ok()) {
        return Error(static_cast<int>(pos) + 1, bytes.status().message());
      }
      literal_bytes_ += bytes->size();
      if (literal_bytes_ > kMaxTraceLiteralBytes) {
        return Error(static_cast<int>(i) + 1,
                     absl::StrFormat("the trace's byte strings decode to more "
                                     "than %d bytes in total",
                                     kMaxTraceLiteralBytes));
      }
      tok.literal_at = i - start;
      tok.bytes = *std::move(bytes);
      i = pos;
    }
    tok.text = line.substr(start, i - start);
    tokens_.push_back(std::move(tok));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseHeader() {
  const Token& first = tokens_[0];
  if (first.text != "aiospec-trace") {
    return Error(first.col,
                 absl::StrCat("expected the header 'aiospec-trace 1', got '",
                              Shown(first.text), "'"));
  }
  if (tokens_.size() < 2) {
    return Error(first.col, "the header needs a version: 'aiospec-trace 1'");
  }
  const Token& version = tokens_[1];
  std::optional<int64_t> v = ParseInt64(version.text);
  if (version.kind != TokenKind::kWord || !v.has_value()) {
    return Error(version.col, absl::StrCat("expected a version number, got '",
                                           Shown(version.text), "'"));
  }
  if (*v < kMinTraceVersion || *v > kTraceVersion) {
    return Error(version.col,
                 absl::StrFormat("unsupported trace version %d (this parser "
                                 "reads versions %d to %d)",
                                 *v, kMinTraceVersion, kTraceVersion));
  }
  if (tokens_.size() > 2) {
    return Error(tokens_[2].col, absl::StrCat("unexpected '",
                                              Shown(tokens_[2].text),
                                              "' after the header"));
  }
  seen_header_ = true;
  trace_.version = static_cast<int>(*v);
  return absl::OkStatus();
}

absl::Status Parser::ParseLine() {
  const Token& keyword = tokens_[0];
  if (keyword.kind != TokenKind::kWord) {
    return Error(keyword.col, absl::StrCat("expected an op, got '",
                                           Shown(keyword.text), "'"));
  }
  if (keyword.text == "aiospec-trace") {
    return Error(keyword.col, "duplicate header");
  }
  if (keyword.text == "covers") {
    if (tokens_.size() < 2) {
      return Error(keyword.col, "covers needs at least one assertion ID");
    }
    for (size_t i = 1; i < tokens_.size(); ++i) {
      if (tokens_[i].kind != TokenKind::kWord ||
          !IsAssertionId(tokens_[i].text)) {
        return Error(tokens_[i].col,
                     absl::StrCat("expected an assertion ID like AIO-READ-07, "
                                  "got '",
                                  Shown(tokens_[i].text), "'"));
      }
      trace_.covers.emplace_back(tokens_[i].text);
    }
    return absl::OkStatus();
  }
  if (keyword.text == "about") {
    if (seen_about_) return Error(keyword.col, "duplicate 'about'");
    seen_about_ = true;
    if (tokens_.size() < 2) {
      return Error(keyword.col, "about needs a quoted text: about \"...\"");
    }
    const Token& text = tokens_[1];
    if (text.kind != TokenKind::kWord || text.literal_at != 0) {
      return Error(text.col, absl::StrCat("expected a quoted text, got '",
                                          Shown(text.text), "'"));
    }
    if (tokens_.size() > 2) {
      return Error(tokens_[2].col, absl::StrCat("unexpected '",
                                                Shown(tokens_[2].text), "'"));
    }
    trace_.about = text.bytes;
    return absl::OkStatus();
  }
  Op op;
  op.loc = SourceLoc{line_no_, keyword.col};
  absl::Span<const Token> tokens = tokens_;
  if (keyword.text == "on" || keyword.text == "start") {
    if (trace_.version < kThreadsVersion) {
      return Error(keyword.col, absl::StrCat("'", keyword.text,
                                             "' needs 'aiospec-trace 2'"));
    }
    if (tokens.size() < 3 || tokens[1].kind != TokenKind::kWord) {
      return Error(keyword.col, absl::StrCat(keyword.text,
                                             " needs a thread and an op"));
    }
    op.run = keyword.text == "on" ? RunOn::kOn : RunOn::kStart;
    absl::StatusOr<ThreadId> t = UseThread(tokens[1]);
    if (!t.ok()) return t.status();
    op.thread = *t;
    tokens = tokens.subspan(2);
    if (tokens[0].kind != TokenKind::kWord) {
      return Error(tokens[0].col, absl::StrCat("expected an op, got '",
                                               Shown(tokens[0].text), "'"));
    }
  }
  if (absl::Status s = ParseOp(tokens, &op.body); !s.ok()) return s;
  if (op.run == RunOn::kStart && std::holds_alternative<Sigmask>(op.body)) {
    return Error(tokens[0].col, "sigmask runs with 'on', not 'start'");
  }
  if (op.run != RunOn::kMain && !RunsOnThreads(op.body)) {
    return Error(tokens[0].col,
                 absl::StrCat("'", Shown(tokens[0].text),
                              "' cannot run on a thread: only aio_read, "
                              "aio_write, aio_fsync, aio_error, aio_return, "
                              "aio_suspend, aio_cancel, lio_listio and "
                              "sigmask can"));
  }
  if (absl::Status s = CheckThreadUse(op, keyword.col); !s.ok()) return s;
  if (absl::Status s = CheckStormUse(op.body, keyword.col); !s.ok()) return s;
  if (absl::Status s = CheckProcUse(op.body, keyword.col); !s.ok()) return s;
  if (absl::Status s = CheckScribbleUse(op.body, keyword.col); !s.ok()) return s;
  trace_.ops.push_back(std::move(op));
  return absl::OkStatus();
}

absl::StatusOr<Args> Parser::SplitArgs(
    absl::Span<const Token> tokens, absl::string_view op_name,
    std::initializer_list<absl::string_view> allowed) {
  Args args;
  for (const Token& tok : tokens) {
    if (tok.kind != TokenKind::kWord) {
      return Error(tok.col, absl::StrCat("unexpected '", tok.text, "'"));
    }
    const size_t eq = tok.text.find('=');
    if (eq == absl::string_view::npos ||
        (tok.literal_at.has_value() && eq > *tok.literal_at)) {
      args.positional.push_back(&tok);
      continue;
    }
    KeyValue kv;
    kv.key = tok.text.substr(0, eq);
    kv.value = tok.text.substr(eq + 1);
    kv.key_col = tok.col;
    kv.value_col = tok.col + static_cast<int>(eq) + 1;
    kv.token = &tok;
    bool known = false;
    for (absl::string_view a : allowed) known = known || a == kv.key;
    if (!known) {
      if (kv.key.empty()) return Error(tok.col, "expected a key before '='");
      return Error(tok.col, absl::StrCat("unknown argument '", Shown(kv.key),
                                         "' for ", op_name));
    }
    if (!args.named.emplace(kv.key, kv).second) {
      return Error(tok.col,
                   absl::StrCat("duplicate argument '", kv.key, "'"));
    }
  }
  return args;
}

absl::Status Parser::ExpectPositional(const Args& args, const Token& keyword,
                                      size_t count, absl::string_view what) {
  if (args.positional.size() < count) {
    return Error(keyword.col,
                 absl::StrCat(keyword.text, " needs ", what));
  }
  if (args.positional.size() > count) {
    const Token* extra = args.positional[count];
    return Error(extra->col, absl::StrCat("unexpected argument '",
                                          Shown(extra->text), "' for ",
                                          keyword.text));
  }
  return absl::OkStatus();
}

absl::StatusOr<const KeyValue*> Parser::Required(const Args& args,
                                                 const Token& keyword,
                                                 absl::string_view key) {
  const KeyValue* kv = args.Find(key);
  if (kv == nullptr) {
    return Error(keyword.col, absl::StrCat(keyword.text, " needs ", key, "="));
  }
  return kv;
}

// --- Values -----------------------------------------------------------------

absl::StatusOr<int64_t> Parser::Int64Value(absl::string_view text,
                                           int col) const {
  std::optional<int64_t> v = ParseInt64(text);
  if (!v.has_value()) {
    absl::string_view unsigned_part = text;
    absl::ConsumePrefix(&unsigned_part, "-");
    const bool digits = !unsigned_part.empty() &&
                        unsigned_part.find_first_not_of("0123456789") ==
                            absl::string_view::npos;
    return Error(col, digits ? absl::StrCat("number '", Shown(text),
                                            "' does not fit in 64 bits")
                             : absl::StrCat("expected a number, got '",
                                            Shown(text), "'"));
  }
  return *v;
}

absl::StatusOr<int32_t> Parser::Int32Value(absl::string_view text,
                                           int col) const {
  absl::StatusOr<int64_t> v = Int64Value(text, col);
  if (!v.ok()) return v.status();
  if (*v < std::numeric_limits<int32_t>::min() ||
      *v > std::numeric_limits<int32_t>::max()) {
    return Error(col, absl::StrCat("number '", Shown(text),
                                   "' does not fit in 32 bits"));
  }
  return static_cast<int32_t>(*v);
}

absl::StatusOr<std::string> Parser::BytesValue(const KeyValue& kv) const {
  if (kv.token->literal_at != kv.key.size() + 1) {
    return Error(kv.value_col,
                 absl::StrCat("expected a byte string like \"abc\" for ",
                              kv.key, "=, got '", Shown(kv.value), "'"));
  }
  return kv.token->bytes;
}

absl::StatusOr<Notify> Parser::NotifyValue(const KeyValue& kv) const {
  Notify notify;
  absl::string_view v = kv.value;
  if (v == "none") return notify;
  if (absl::ConsumePrefix(&v, "signal(")) {
    notify.kind = NotifyKind::kSignal;
  } else if (absl::ConsumePrefix(&v, "thread(")) {
    notify.kind = NotifyKind::kThread;
  } else {
    return Error(kv.value_col,
                 absl::StrCat("expected none, signal(V) or thread(V), got '",
                              Shown(kv.value), "'"));
  }
  const int number_col =
      kv.value_col + static_cast<int>(kv.value.size() - v.size());
  if (!absl::ConsumeSuffix(&v, ")")) {
    return Error(kv.value_col + static_cast<int>(kv.value.size()),
                 "expected ')' to close the notification value");
  }
  if (const size_t comma = v.find(',');
      notify.kind == NotifyKind::kSignal && comma != absl::string_view::npos) {
    const int rt_col = number_col + static_cast<int>(comma) + 1;
    if (trace_.version < kThreadsVersion) {
      return Error(rt_col, "a notification signal needs 'aiospec-trace 2'");
    }
    absl::StatusOr<int> rt = RtSignal(v.substr(comma + 1), rt_col);
    if (!rt.ok()) return rt.status();
    notify.rt = *rt;
    v = v.substr(0, comma);
  }
  absl::StatusOr<int32_t> value = Int32Value(v, number_col);
  if (!value.ok()) return value.status();
  notify.value = *value;
  return notify;
}

absl::StatusOr<int> Parser::RtSignal(absl::string_view text, int col) const {
  absl::string_view n = text;
  std::optional<int64_t> v;
  if (absl::ConsumePrefix(&n, "SIGRTMIN+")) v = ParseInt64(n);
  if (!v.has_value() ||
      (*v != kDefaultRtSignal && (*v < kMinRtSignal || *v > kMaxRtSignal))) {
    return Error(col, absl::StrCat("expected SIGRTMIN+1 or SIGRTMIN+3 to "
                                   "SIGRTMIN+8, got '",
                                   Shown(text), "'"));
  }
  return static_cast<int>(*v);
}

absl::StatusOr<std::optional<LioOpcodeValue>> Parser::LioOpcodeArg(
    const Args& args) const {
  const KeyValue* kv = args.Find("lio_opcode");
  if (kv == nullptr) return std::optional<LioOpcodeValue>();
  LioOpcodeValue opcode;
  if (kv->value == "LIO_READ") {
    opcode.name = LioOpcode::kRead;
  } else if (kv->value == "LIO_WRITE") {
    opcode.name = LioOpcode::kWrite;
  } else if (kv->value == "LIO_NOP") {
    opcode.name = LioOpcode::kNop;
  } else if (!kv->value.empty() &&
             (absl::ascii_isdigit(kv->value[0]) || kv->value[0] == '-')) {
    absl::StatusOr<int32_t> n = Int32Value(kv->value, kv->value_col);
    if (!n.ok()) return n.status();
    opcode.named = false;
    opcode.number = *n;
  } else {
    return Error(kv->value_col,
                 absl::StrCat("expected LIO_READ, LIO_WRITE, LIO_NOP or a "
                              "number, got '",
                              Shown(kv->value), "'"));
  }
  return std::optional<LioOpcodeValue>(opcode);
}

absl::StatusOr<Timeout> Parser::TimeoutValue(const KeyValue& kv,
                                             bool allow_negative) const {
  Timeout timeout;
  absl::string_view v = kv.value;
  if (v == "none") {
    timeout.infinite = true;
    return timeout;
  }
  if (v == "0") return timeout;
  struct Unit {
    absl::string_view suffix;
    int64_t nanos;
  };
  // "ns", "us", "ms" before "s", which is a suffix of each.
  constexpr Unit kUnits[] = {
      {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
  for (const Unit& unit : kUnits) {
    if (!absl::ConsumeSuffix(&v, unit.suffix)) continue;
    absl::StatusOr<int64_t> n = Int64Value(v, kv.value_col);
    if (!n.ok()) return n.status();
    if (*n < 0 && !allow_negative) {
      return Error(kv.value_col, "this timeout must not be negative");
    }
    if (*n > std::numeric_limits<int64_t>::max() / unit.nanos ||
        *n < std::numeric_limits<int64_t>::min() / unit.nanos) {
      return Error(kv.value_col,
                   absl::StrCat("timeout '", Shown(kv.value),
                                "' does not fit in 64-bit nanoseconds"));
    }
    timeout.nanos = *n * unit.nanos;
    return timeout;
  }
  return Error(kv.value_col,
               absl::StrCat("expected a timeout like 100ms, 0 or none, got '",
                            Shown(kv.value), "' (units: ns, us, ms, s)"));
}

absl::StatusOr<uint32_t> Parser::OpenFlagsValue(const KeyValue& kv) const {
  uint32_t flags = 0;
  bool have_access = false;
  int col = kv.value_col;
  size_t start = 0;
  while (true) {
    size_t plus = kv.value.find('+', start);
    if (plus == absl::string_view::npos) plus = kv.value.size();
    const absl::string_view word = kv.value.substr(start, plus - start);
    uint32_t bits = 0;
    bool access = false;
    if (word == "rdonly") {
      bits = kAccessRead, access = true;
    } else if (word == "wronly") {
      bits = kAccessWrite, access = true;
    } else if (word == "rdwr") {
      bits = kAccessRead | kAccessWrite, access = true;
    } else if (word == "append") {
      bits = kFlagAppend;
    } else if (word == "sync") {
      bits = kFlagSync;
    } else if (word == "dsync") {
      bits = kFlagDsync;
    } else if (word == "hold") {
      bits = kFlagHold;
    } else {
      return Error(col, absl::StrCat("unknown open flag '", Shown(word),
                                     "' (rdonly, wronly, rdwr, append, sync, "
                                     "dsync, hold)"));
    }
    if (access ? have_access : (flags & bits) != 0) {
      return Error(col, access ? "more than one access mode"
                               : absl::StrCat("duplicate open flag '", word,
                                              "'"));
    }
    have_access = have_access || access;
    flags |= bits;
    if (plus == kv.value.size()) break;
    start = plus + 1;
    col = kv.value_col + static_cast<int>(start);
  }
  if (!have_access) {
    return Error(kv.value_col,
                 "flags= needs an access mode: rdonly, wronly or rdwr");
  }
  return flags;
}

// --- Handles ----------------------------------------------------------------

absl::Status Parser::CheckName(absl::string_view name, int col,
                               absl::string_view what) const {
  if (name == "null" || name == "badfd") {
    return Error(col, absl::StrCat("'", name, "' is a keyword, not a ", what,
                                   " name"));
  }
  if (!IsNameSyntax(name)) {
    return Error(col, absl::StrCat("expected a ", what, " name, got '",
                                   Shown(name), "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<FileId> Parser::DeclareFileName(const Token& tok) {
  if (absl::Status s = CheckName(tok.text, tok.col, "file"); !s.ok()) return s;
  auto [it, inserted] = names_.try_emplace(
      std::string(tok.text),
      Handle{HandleKind::kFile, static_cast<int>(trace_.file_names.size())});
  if (!inserted) {
    if (it->second.kind == HandleKind::kFile) {
      return Error(tok.col,
                   absl::StrCat("file '", tok.text, "' is already declared"));
    }
    return Error(tok.col, absl::StrCat("'", tok.text, "' is already a ",
                                       KindNoun(it->second.kind)));
  }
  trace_.file_names.emplace_back(tok.text);
  return it->second.index;
}

absl::StatusOr<FileId> Parser::UseFile(const Token& tok) const {
  if (absl::Status s = CheckName(tok.text, tok.col, "file"); !s.ok()) return s;
  auto it = names_.find(tok.text);
  if (it == names_.end()) {
    return Error(tok.col, absl::StrCat("unknown file '", tok.text, "'"));
  }
  if (it->second.kind != HandleKind::kFile) {
    return Error(tok.col, absl::StrCat("'", tok.text, "' is a ",
                                       KindNoun(it->second.kind),
                                       ", not a file"));
  }
  return it->second.index;
}

absl::StatusOr<FdId> Parser::FdHandle(absl::string_view name, int col,
                                      bool create) {
  if (name == "badfd") {
    return Error(col, "badfd cannot be opened: it names no descriptor");
  }
  if (absl::Status s = CheckName(name, col, "descriptor"); !s.ok()) return s;
  auto it = names_.find(name);
  if (it == names_.end()) {
    if (!create) {
      return Error(col, absl::StrCat("unknown descriptor '", name, "'"));
    }
    it = names_
             .emplace(std::string(name),
                      Handle{HandleKind::kFd,
                             static_cast<int>(trace_.fd_names.size())})
             .first;
    trace_.fd_names.emplace_back(name);
    fd_open_.push_back(false);
  }
  if (it->second.kind != HandleKind::kFd) {
    return Error(col, absl::StrCat("'", name, "' is a ",
                                   KindNoun(it->second.kind),
                                   ", not a descriptor"));
  }
  return it->second.index;
}

absl::StatusOr<FdId> Parser::UseFd(absl::string_view name, int col,
                                   bool allow_badfd) const {
  if (name == "badfd") {
    if (allow_badfd) return kBadFd;
    return Error(col, "badfd is only allowed as the descriptor of an aio_* "
                      "call or lio_listio element");
  }
  if (absl::Status s = CheckName(name, col, "descriptor"); !s.ok()) return s;
  auto it = names_.find(name);
  if (it == names_.end()) {
    return Error(col, absl::StrCat("unknown descriptor '", Shown(name), "'"));
  }
  if (it->second.kind != HandleKind::kFd) {
    return Error(col, absl::StrCat("'", name, "' is a ",
                                   KindNoun(it->second.kind),
                                   ", not a descriptor"));
  }
  if (!fd_open_[it->second.index]) {
    return Error(col, absl::StrCat("descriptor '", name, "' is closed"));
  }
  return it->second.index;
}

absl::StatusOr<FdId> Parser::OpenFd(const Token& tok) {
  absl::StatusOr<FdId> fd = FdHandle(tok.text, tok.col, /*create=*/true);
  if (!fd.ok()) return fd.status();
  if (fd_open_[*fd]) {
    return Error(tok.col,
                 absl::StrCat("descriptor '", tok.text, "' is already open"));
  }
  fd_open_[*fd] = true;
  return *fd;
}

absl::StatusOr<FdId> Parser::Dup2Target(const Token& tok) {
  absl::StatusOr<FdId> fd = FdHandle(tok.text, tok.col, /*create=*/true);
  if (!fd.ok()) return fd.status();
  fd_open_[*fd] = true;
  return *fd;
}

absl::StatusOr<CbId> Parser::DefineCb(const Token& tok) {
  if (absl::Status s = CheckName(tok.text, tok.col, "aiocb"); !s.ok()) {
    return s;
  }
  auto [it, inserted] = names_.try_emplace(
      std::string(tok.text),
      Handle{HandleKind::kCb, static_cast<int>(trace_.cb_names.size())});
  if (inserted) trace_.cb_names.emplace_back(tok.text);
  if (it->second.kind != HandleKind::kCb) {
    return Error(tok.col, absl::StrCat("'", tok.text, "' is a ",
                                       KindNoun(it->second.kind),
                                       ", not an aiocb"));
  }
  return it->second.index;
}

absl::StatusOr<CbId> Parser::UseCb(const Token& tok, bool allow_null) const {
  if (tok.text == "null" && allow_null) return kNullHandle;
  if (absl::Status s = CheckName(tok.text, tok.col, "aiocb"); !s.ok()) {
    return s;
  }
  auto it = names_.find(tok.text);
  if (it == names_.end()) {
    return Error(tok.col, absl::StrCat("unknown aiocb '", tok.text, "'"));
  }
  if (it->second.kind != HandleKind::kCb) {
    return Error(tok.col, absl::StrCat("'", tok.text, "' is a ",
                                       KindNoun(it->second.kind),
                                       ", not an aiocb"));
  }
  return it->second.index;
}

absl::Status Parser::CheckListLength(size_t n, int col) const {
  if (n > kMaxTraceListLength) {
    return Error(col, absl::StrFormat("list longer than %d entries",
                                      kMaxTraceListLength));
  }
  return absl::OkStatus();
}

// --- Ops --------------------------------------------------------------------

absl::Status Parser::ParseIoRequest(const Args& args, const Token& keyword,
                                    bool is_write, IoRequest* req) {
  absl::StatusOr<const KeyValue*> fd = Required(args, keyword, "fd");
  if (!fd.ok()) return fd.status();
  absl::StatusOr<FdId> fd_id =
      UseFd((*fd)->value, (*fd)->value_col, /*allow_badfd=*/true);
  if (!fd_id.ok()) return fd_id.status();
  req->fd = *fd_id;

  absl::StatusOr<const KeyValue*> offset = Required(args, keyword, "offset");
  if (!offset.ok()) return offset.status();
  absl::StatusOr<int64_t> offset_value =
      Int64Value((*offset)->value, (*offset)->value_col);
  if (!offset_value.ok()) return offset_value.status();
  req->offset = *offset_value;

  const KeyValue* data = is_write ? args.Find("data") : nullptr;
  if (data != nullptr) {
    absl::StatusOr<std::string> bytes = BytesValue(*data);
    if (!bytes.ok()) return bytes.status();
    req->data = *std::move(bytes);
  }
  const KeyValue* nbytes = args.Find("nbytes");
  int nbytes_col = keyword.col;
  if (nbytes != nullptr) {
    absl::StatusOr<int64_t> n = Int64Value(nbytes->value, nbytes->value_col);
    if (!n.ok()) return n.status();
    req->nbytes = *n;
    nbytes_col = nbytes->value_col;
  } else if (req->data.has_value()) {
    req->nbytes = static_cast<int64_t>(req->data->size());
    nbytes_col = data->value_col;
  } else {
    return Error(keyword.col, absl::StrCat(keyword.text, " needs nbytes=",
                                           is_write ? " (or data=)" : ""));
  }
  if (req->nbytes > kMaxPayloadBytes) {
    return Error(nbytes_col,
                 absl::StrFormat("nbytes %d is above the %d-byte limit (the "
                                 "executor allocates a buffer of nbytes)",
                                 req->nbytes, kMaxPayloadBytes));
  }

  if (const KeyValue* reqprio = args.Find("reqprio"); reqprio != nullptr) {
    absl::StatusOr<int32_t> v = Int32Value(reqprio->value, reqprio->value_col);
    if (!v.ok()) return v.status();
    req->reqprio = *v;
  }
  if (const KeyValue* notify = args.Find("notify"); notify != nullptr) {
    absl::StatusOr<Notify> v = NotifyValue(*notify);
    if (!v.ok()) return v.status();
    req->notify = *v;
  }
  return absl::OkStatus();
}

absl::StatusOr<LioElement> Parser::ParseLioElement(
    absl::Span<const Token> tokens, const Token& separator) {
  LioElement element;
  if (tokens.empty()) {
    return Error(separator.col, absl::StrCat("expected a list element before '",
                                             separator.text, "'"));
  }
  const Token& keyword = tokens[0];
  if (keyword.kind != TokenKind::kWord) {
    return Error(keyword.col,
                 absl::StrCat("unexpected '", keyword.text, "'"));
  }
  if (keyword.text == "null") {
    if (tokens.size() > 1) {
      return Error(tokens[1].col, absl::StrCat("unexpected '",
                                               Shown(tokens[1].text),
                                               "' after null"));
    }
    element.is_null = true;
    return element;
  }
  const bool is_nop = keyword.text == "nop";
  if (keyword.text == "read") {
    element.opcode = LioOpcode::kRead;
  } else if (keyword.text == "write") {
    element.opcode = LioOpcode::kWrite;
  } else if (!is_nop) {
    return Error(keyword.col,
                 absl::StrCat("expected read, write, nop or null, got '",
                              Shown(keyword.text), "'"));
  }
  absl::StatusOr<Args> args =
      is_nop ? SplitArgs(tokens.subspan(1), "nop", {"fd"})
      : element.opcode == LioOpcode::kRead
          ? SplitArgs(tokens.subspan(1), "read",
                      {"fd", "offset", "nbytes", "reqprio", "notify"})
          : SplitArgs(tokens.subspan(1), "write",
                      {"fd", "offset", "nbytes", "data", "reqprio", "notify"});
  if (!args.ok()) return args.status();
  if (absl::Status s = ExpectPositional(*args, keyword, 1, "an aiocb");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<CbId> cb = DefineCb(*args->positional[0]);
  if (!cb.ok()) return cb.status();
  element.req.cb = *cb;
  if (is_nop) {
    if (const KeyValue* fd = args->Find("fd"); fd != nullptr) {
      absl::StatusOr<FdId> fd_id =
          UseFd(fd->value, fd->value_col, /*allow_badfd=*/true);
      if (!fd_id.ok()) return fd_id.status();
      element.req.fd = *fd_id;
    }
    return element;
  }
  if (absl::Status s =
          ParseIoRequest(*args, keyword,
                         element.opcode == LioOpcode::kWrite, &element.req);
      !s.ok()) {
    return s;
  }
  return element;
}

absl::StatusOr<LioListio> Parser::ParseLio(absl::Span<const Token> tokens) {
  const Token& keyword = tokens[0];
  LioListio lio;
  if (tokens.size() < 2 || tokens[1].kind != TokenKind::kWord ||
      (tokens[1].text != "wait" && tokens[1].text != "nowait")) {
    return Error(tokens.size() < 2 ? keyword.col : tokens[1].col,
                 "lio_listio needs a mode: wait or nowait");
  }
  lio.wait = tokens[1].text == "wait";
  if (tokens.size() < 3 || tokens[2].kind != TokenKind::kOpenBracket) {
    return Error(tokens.size() < 3 ? keyword.col : tokens[2].col,
                 "lio_listio needs a list in brackets: [ELEM; ELEM; ...]");
  }
  size_t i = 3;
  size_t element_start = i;
  bool closed = false;
  bool empty_list = true;
  for (; i < tokens.size(); ++i) {
    const Token& tok = tokens[i];
    if (tok.kind == TokenKind::kOpenBracket) {
      return Error(tok.col, "unexpected '[' inside a list");
    }
    if (tok.kind != TokenKind::kSemicolon &&
        tok.kind != TokenKind::kCloseBracket) {
      empty_list = false;
      continue;
    }
    if (tok.kind == TokenKind::kCloseBracket && empty_list &&
        element_start == i) {
      closed = true;  // `[]`
      break;
    }
    absl::StatusOr<LioElement> element = ParseLioElement(
        tokens.subspan(element_start, i - element_start), tok);
    if (!element.ok()) return element.status();
    lio.list.push_back(*std::move(element));
    if (absl::Status s = CheckListLength(lio.list.size(), tok.col); !s.ok()) {
      return s;
    }
    element_start = i + 1;
    if (tok.kind == TokenKind::kCloseBracket) {
      closed = true;
      break;
    }
  }
  if (!closed) {
    return Error(tokens.back().col + static_cast<int>(tokens.back().text.size()),
                 "expected ']' to close the lio_listio list");
  }
  absl::StatusOr<Args> args =
      SplitArgs(tokens.subspan(i + 1), "lio_listio", {"notify"});
  if (!args.ok()) return args.status();
  if (!args->positional.empty()) {
    return Error(args->positional[0]->col,
                 absl::StrCat("unexpected argument '",
                              Shown(args->positional[0]->text),
                              "' for lio_listio"));
  }
  if (const KeyValue* notify = args->Find("notify"); notify != nullptr) {
    absl::StatusOr<Notify> v = NotifyValue(*notify);
    if (!v.ok()) return v.status();
    lio.notify = *v;
  }
  return lio;
}

absl::Status Parser::ParseOp(absl::Span<const Token> tokens, OpBody* body) {
  const Token& keyword = tokens[0];
  const absl::string_view name = keyword.text;
  const absl::Span<const Token> rest = tokens.subspan(1);

  if (name == "lio_listio") {
    absl::StatusOr<LioListio> lio = ParseLio(tokens);
    if (!lio.ok()) return lio.status();
    *body = *std::move(lio);
    return absl::OkStatus();
  }

  // Every other op: keyword, positional args, key=value args.
  auto split = [&](std::initializer_list<absl::string_view> allowed) {
    return SplitArgs(rest, name, allowed);
  };
  // Propagates errors of StatusOr expressions with less noise.
#define AIOSPEC_ASSIGN(lhs, expr)        \
  do {                                   \
    auto status_or = (expr);             \
    if (!status_or.ok()) return status_or.status(); \
    lhs = *std::move(status_or);         \
  } while (0)
#define AIOSPEC_CHECK(expr)                    \
  do {                                         \
    if (absl::Status s = (expr); !s.ok()) return s; \
  } while (0)

  Args args;
  if (name == "file") {
    AIOSPEC_ASSIGN(args, split({"content"}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 1, "a file name"));
    DeclareFile op;
    AIOSPEC_ASSIGN(op.file, DeclareFileName(*args.positional[0]));
    if (const KeyValue* content = args.Find("content"); content != nullptr) {
      AIOSPEC_ASSIGN(op.content, BytesValue(*content));
    }
    *body = std::move(op);
  } else if (name == "pipe" || name == "socketpair") {
    AIOSPEC_ASSIGN(args, split({}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 2, "two descriptor names"));
    FdId first, second;
    AIOSPEC_ASSIGN(first, OpenFd(*args.positional[0]));
    AIOSPEC_ASSIGN(second, OpenFd(*args.positional[1]));
    if (name == "pipe") {
      *body = DeclarePipe{first, second};
    } else {
      *body = DeclareSocketpair{first, second};
    }
  } else if (name == "open") {
    AIOSPEC_ASSIGN(args, split({"flags"}));
    AIOSPEC_CHECK(
        ExpectPositional(args, keyword, 2, "a descriptor and a file"));
    Open op;
    AIOSPEC_ASSIGN(op.fd, OpenFd(*args.positional[0]));
    AIOSPEC_ASSIGN(op.file, UseFile(*args.positional[1]));
    const KeyValue* flags;
    AIOSPEC_ASSIGN(flags, Required(args, keyword, "flags"));
    AIOSPEC_ASSIGN(op.flags, OpenFlagsValue(*flags));
    if (op.flags & kFlagHold) {
      hold_fds_.insert(op.fd);
    } else {
      hold_fds_.erase(op.fd);
    }
    *body = op;
  } else if (name == "close") {
    AIOSPEC_ASSIGN(args, split({}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 1, "a descriptor"));
    Close op;
    const Token& fd = *args.positional[0];
    AIOSPEC_ASSIGN(op.fd, UseFd(fd.text, fd.col, /*allow_badfd=*/false));
    fd_open_[op.fd] = false;
    hold_fds_.erase(op.fd);
    *body = op;
  } else if (name == "dup") {
    AIOSPEC_ASSIGN(args, split({}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 2,
                                   "a new and an old descriptor"));
    Dup op;
    const Token& old_fd = *args.positional[1];
    AIOSPEC_ASSIGN(op.old_fd,
                   UseFd(old_fd.text, old_fd.col, /*allow_badfd=*/false));
    AIOSPEC_ASSIGN(op.new_fd, OpenFd(*args.positional[0]));
    *body = op;
  } else if (name == "dup2") {
    AIOSPEC_ASSIGN(args, split({}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 2,
                                   "an old and a target descriptor"));
    Dup2 op;
    const Token& old_fd = *args.positional[0];
    AIOSPEC_ASSIGN(op.old_fd,
                   UseFd(old_fd.text, old_fd.col, /*allow_badfd=*/false));
    AIOSPEC_ASSIGN(op.target, Dup2Target(*args.positional[1]));
    *body = op;
  } else if (name == "aio_read" || name == "aio_write") {
    const bool is_write = name == "aio_write";
    if (is_write) {
      AIOSPEC_ASSIGN(args, split({"fd", "offset", "nbytes", "data", "reqprio",
                                  "notify", "lio_opcode"}));
    } else {
      AIOSPEC_ASSIGN(args, split({"fd", "offset", "nbytes", "reqprio",
                                  "notify", "lio_opcode"}));
    }
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 1, "an aiocb"));
    IoRequest req;
    AIOSPEC_ASSIGN(req.cb, DefineCb(*args.positional[0]));
    AIOSPEC_CHECK(ParseIoRequest(args, keyword, is_write, &req));
    std::optional<LioOpcodeValue> lio_opcode;
    AIOSPEC_ASSIGN(lio_opcode, LioOpcodeArg(args));
    if (is_write) {
      *body = AioWrite{std::move(req), lio_opcode};
    } else {
      *body = AioRead{std::move(req), lio_opcode};
    }
  } else if (name == "aio_fsync") {
    AIOSPEC_ASSIGN(args, split({"fd", "op", "notify", "lio_opcode"}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 1, "an aiocb"));
    AioFsync op;
    AIOSPEC_ASSIGN(op.lio_opcode, LioOpcodeArg(args));
    AIOSPEC_ASSIGN(op.cb, DefineCb(*args.positional[0]));
    const KeyValue* fd;
    AIOSPEC_ASSIGN(fd, Required(args, keyword, "fd"));
    AIOSPEC_ASSIGN(op.fd, UseFd(fd->value, fd->value_col, true));
    if (const KeyValue* fsync_op = args.Find("op"); fsync_op != nullptr) {
      if (fsync_op->value == "sync") {
        op.op = FsyncOp::kSync;
      } else if (fsync_op->value == "dsync") {
        op.op = FsyncOp::kDsync;
      } else if (fsync_op->value == "invalid") {
        op.op = FsyncOp::kInvalid;
      } else {
        return Error(fsync_op->value_col,
                     absl::StrCat("expected sync, dsync or invalid, got '",
                                  Shown(fsync_op->value), "'"));
      }
    }
    if (const KeyValue* notify = args.Find("notify"); notify != nullptr) {
      AIOSPEC_ASSIGN(op.notify, NotifyValue(*notify));
    }
    *body = op;
  } else if (name == "aio_error" || name == "aio_return") {
    AIOSPEC_ASSIGN(args, split({}));
    const bool scribble = name == "aio_return" && args.positional.size() == 2 &&
                          args.positional[1]->text == "scribble";
    AIOSPEC_CHECK(ExpectPositional(args, keyword, scribble ? 2 : 1, "an aiocb"));
    if (scribble && trace_.version < kScribbleVersion) {
      return Error(args.positional[1]->col, "'scribble' needs 'aiospec-trace 2'");
    }
    CbId cb;
    AIOSPEC_ASSIGN(cb, UseCb(*args.positional[0], /*allow_null=*/false));
    if (name == "aio_error") {
      *body = AioError{cb};
    } else {
      *body = AioReturn{cb, scribble};
    }
  } else if (name == "aio_suspend") {
    AIOSPEC_ASSIGN(args, split({"timeout"}));
    AioSuspend op;
    op.timeout.infinite = true;
    AIOSPEC_CHECK(CheckListLength(args.positional.size(), keyword.col));
    for (const Token* item : args.positional) {
      CbId cb;
      AIOSPEC_ASSIGN(cb, UseCb(*item, /*allow_null=*/true));
      op.list.push_back(cb);
    }
    if (const KeyValue* timeout = args.Find("timeout"); timeout != nullptr) {
      AIOSPEC_ASSIGN(op.timeout, TimeoutValue(*timeout, true));
    }
    *body = std::move(op);
  } else if (name == "aio_cancel") {
    AIOSPEC_ASSIGN(args, split({}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 2,
                                   "a descriptor and an aiocb (or null)"));
    AioCancel op;
    const Token& fd = *args.positional[0];
    AIOSPEC_ASSIGN(op.fd, UseFd(fd.text, fd.col, /*allow_badfd=*/true));
    AIOSPEC_ASSIGN(op.cb, UseCb(*args.positional[1], /*allow_null=*/true));
    *body = op;
  } else if (name == "fill" || name == "drain") {
    const bool is_fill = name == "fill";
    if (is_fill) {
      AIOSPEC_ASSIGN(args, split({}));
    } else {
      AIOSPEC_ASSIGN(args, split({"max"}));
    }
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 1, "a descriptor"));
    const Token& fd = *args.positional[0];
    FdId fd_id;
    AIOSPEC_ASSIGN(fd_id, UseFd(fd.text, fd.col, /*allow_badfd=*/false));
    if (is_fill) {
      *body = Fill{fd_id};
    } else {
      Drain op{fd_id};
      if (const KeyValue* max = args.Find("max"); max != nullptr) {
        AIOSPEC_ASSIGN(op.max, Int64Value(max->value, max->value_col));
        if (op.max < 0) {
          return Error(max->value_col, "max= must not be negative");
        }
      }
      *body = op;
    }
  } else if (name == "write") {
    AIOSPEC_ASSIGN(args, split({"data"}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 1, "a descriptor"));
    Write op;
    const Token& fd = *args.positional[0];
    AIOSPEC_ASSIGN(op.fd, UseFd(fd.text, fd.col, /*allow_badfd=*/false));
    const KeyValue* data;
    AIOSPEC_ASSIGN(data, Required(args, keyword, "data"));
    AIOSPEC_ASSIGN(op.data, BytesValue(*data));
    *body = std::move(op);
  } else if (name == "readback") {
    AIOSPEC_ASSIGN(args, split({}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 1, "a file"));
    Readback op;
    AIOSPEC_ASSIGN(op.file, UseFile(*args.positional[0]));
    *body = op;
  } else if (name == "wait") {
    AIOSPEC_ASSIGN(args, split({"until", "timeout"}));
    Wait op;
    op.timeout.nanos = kDefaultWaitTimeoutNanos;
    if (args.positional.empty()) {
      return Error(keyword.col, "wait needs at least one aiocb");
    }
    AIOSPEC_CHECK(CheckListLength(args.positional.size(), keyword.col));
    for (const Token* item : args.positional) {
      CbId cb;
      AIOSPEC_ASSIGN(cb, UseCb(*item, /*allow_null=*/false));
      op.cbs.push_back(cb);
    }
    if (const KeyValue* until = args.Find("until"); until != nullptr) {
      if (until->value != "complete" && until->value != "notified") {
        return Error(until->value_col, "until= must be complete or notified");
      }
      op.notified = until->value == "notified";
    }
    if (const KeyValue* timeout = args.Find("timeout"); timeout != nullptr) {
      AIOSPEC_ASSIGN(op.timeout, TimeoutValue(*timeout, false));
    }
    *body = std::move(op);
  } else if (name == "storm") {
    AIOSPEC_ASSIGN(args, split({"rate", "calls", "returns", "close"}));
    AIOSPEC_ASSIGN(*body, ParseStorm(args, keyword));
  } else if (name == "proc") {
    AIOSPEC_ASSIGN(args, split({"watch", "cancel", "fd", "offset", "nbytes",
                                "data", "reqprio", "notify"}));
    AIOSPEC_ASSIGN(*body, ParseProc(args, keyword));
  } else if (name == "hold") {
    AIOSPEC_ASSIGN(args, split({"count", "timeout", "errno"}));
    AIOSPEC_ASSIGN(*body, ParseHold(args, keyword));
  } else if (name == "sigmask") {
    if (trace_.version < kThreadsVersion) {
      return Error(keyword.col, "'sigmask' needs 'aiospec-trace 2'");
    }
    AIOSPEC_ASSIGN(args, split({}));
    AIOSPEC_CHECK(ExpectPositional(args, keyword, 2,
                                   "block or unblock, and signals"));
    const Token& how = *args.positional[0];
    if (how.text != "block" && how.text != "unblock") {
      return Error(how.col, absl::StrCat("expected block or unblock, got '",
                                         Shown(how.text), "'"));
    }
    Sigmask op;
    op.block = how.text == "block";
    const Token& list = *args.positional[1];
    int col = list.col;
    for (absl::string_view item : absl::StrSplit(list.text, ',')) {
      int rt;
      AIOSPEC_ASSIGN(rt, RtSignal(item, col));
      if (absl::c_find(op.rts, rt) != op.rts.end()) {
        return Error(col, absl::StrCat("signal '", Shown(item), "' is listed twice"));
      }
      op.rts.push_back(rt);
      col += static_cast<int>(item.size()) + 1;
    }
    *body = std::move(op);
  } else if (name == "thread" || name == "await" || name == "cancel" ||
             name == "exit") {
    AIOSPEC_ASSIGN(*body, ParseThreadOp(tokens));
  } else {
    return Error(keyword.col,
                 absl::StrCat("unknown op '", Shown(name), "'"));
  }
#undef AIOSPEC_ASSIGN
#undef AIOSPEC_CHECK
  return absl::OkStatus();
}

absl::StatusOr<Storm> Parser::ParseStorm(const Args& args,
                                         const Token& keyword) {
  if (args.positional.empty() || (args.positional[0]->text != "on" &&
                                  args.positional[0]->text != "off")) {
    return Error(keyword.col, "storm needs 'on' or 'off'");
  }
  Storm op;
  op.on = args.positional[0]->text == "on";
  if (!op.on) {
    if (args.positional.size() > 1 || !args.named.empty()) {
      const int col = args.positional.size() > 1
                          ? args.positional[1]->col
                          : args.named.begin()->second.key_col;
      return Error(col, "storm off takes no arguments");
    }
    if (!storm_.has_value()) return Error(keyword.col, "storm is not on");
    op.cbs = storm_->cbs;  // what the off record reports on
    op.returns = storm_->returns;
    return op;
  }
  if (storm_.has_value()) return Error(keyword.col, "storm is already on");
  if (args.positional.size() < 2) {
    return Error(keyword.col, "storm on needs at least one aiocb");
  }
  if (absl::Status s = CheckListLength(args.positional.size() - 1,
                                       keyword.col);
      !s.ok()) {
    return s;
  }
  for (size_t i = 1; i < args.positional.size(); ++i) {
    absl::StatusOr<CbId> cb = UseCb(*args.positional[i], /*allow_null=*/false);
    if (!cb.ok()) return cb.status();
    op.cbs.push_back(*cb);
  }
  absl::StatusOr<const KeyValue*> rate = Required(args, keyword, "rate");
  if (!rate.ok()) return rate.status();
  absl::StatusOr<int32_t> hz = Int32Value((*rate)->value, (*rate)->value_col);
  if (!hz.ok()) return hz.status();
  if (*hz < 1 || *hz > kMaxStormRateHz) {
    return Error((*rate)->value_col,
                 absl::StrCat("rate= must be 1..", kMaxStormRateHz));
  }
  op.rate_hz = *hz;
  op.calls = kStormError | kStormSuspend;
  if (const KeyValue* calls = args.Find("calls"); calls != nullptr) {
    op.calls = 0;
    if (calls->value != "none") {
      for (absl::string_view c : absl::StrSplit(calls->value, '+')) {
        if (c == "error") {
          op.calls |= kStormError;
        } else if (c == "suspend") {
          op.calls |= kStormSuspend;
        } else {
          return Error(calls->value_col,
                       absl::StrCat("unknown storm call '", Shown(c),
                                    "' (error, suspend or none)"));
        }
      }
    }
  }
  if (const KeyValue* returns = args.Find("returns"); returns != nullptr) {
    absl::Status s = CbPlusList(*returns, &op.returns, [&](CbId cb) {
      return absl::c_find(op.cbs, cb) != op.cbs.end()
                 ? ""
                 : "in returns= is not watched by this storm";
    });
    if (!s.ok()) return s;
  }
  if (const KeyValue* close = args.Find("close"); close != nullptr) {
    absl::StatusOr<FdId> fd =
        UseFd(close->value, close->value_col, /*allow_badfd=*/false);
    if (!fd.ok()) return fd.status();
    op.close_fd = *fd;
    fd_open_[*fd] = false;  // the handler closes it before `storm on` returns
    hold_fds_.erase(*fd);
  }
  return op;
}

absl::Status Parser::CbPlusList(
    const KeyValue& kv, std::vector<CbId>* out,
    absl::FunctionRef<const char*(CbId)> reject) {
  int col = kv.value_col;
  for (absl::string_view name : absl::StrSplit(kv.value, '+')) {
    Token tok;
    tok.text = name;
    tok.col = col;
    col += static_cast<int>(name.size()) + 1;
    absl::StatusOr<CbId> cb = UseCb(tok, /*allow_null=*/false);
    if (!cb.ok()) return cb.status();
    if (const char* why = reject(*cb); *why != '\0') {
      return Error(tok.col, absl::StrCat("'", name, "' ", why));
    }
    if (absl::c_find(*out, *cb) != out->end()) {
      return Error(tok.col, absl::StrCat("duplicate '", name, "'"));
    }
    out->push_back(*cb);
  }
  return CheckListLength(out->size(), kv.value_col);
}

absl::StatusOr<Proc> Parser::ParseProc(const Args& args,
                                       const Token& keyword) {
  if (args.positional.empty()) {
    return Error(keyword.col, "proc needs 'fork', 'join', 'exit' or 'exec'");
  }
  const Token& kind = *args.positional[0];
  Proc op;
  auto no_more = [&](size_t positional,
                     std::initializer_list<absl::string_view> keys) {
    if (args.positional.size() > positional) {
      const Token* extra = args.positional[positional];
      return Error(extra->col, absl::StrCat("unexpected argument '",
                                            Shown(extra->text), "' for proc ",
                                            kind.text));
    }
    for (const auto& [key, kv] : args.named) {
      if (absl::c_find(keys, key) == keys.end()) {
        return Error(kv.key_col, absl::StrCat("unknown argument '", key,
                                              "' for proc ", kind.text));
      }
    }
    return absl::OkStatus();
  };
  if (kind.text == "fork") {
    op.kind = ProcKind::kFork;
    if (absl::Status s = no_more(1, {"watch", "cancel"}); !s.ok()) return s;
    if (fork_line_ != 0) {
      return Error(kind.col, absl::StrFormat("the child forked on line %d is "
                                             "not joined yet",
                                             fork_line_));
    }
    if (const KeyValue* watch = args.Find("watch"); watch != nullptr) {
      absl::Status s = CbPlusList(*watch, &op.watch, [](CbId) { return ""; });
      if (!s.ok()) return s;
    }
    if (const KeyValue* cancel = args.Find("cancel"); cancel != nullptr) {
      absl::StatusOr<FdId> fd =
          UseFd(cancel->value, cancel->value_col, /*allow_badfd=*/false);
      if (!fd.ok()) return fd.status();
      op.cancel_fd = *fd;
    }
    return op;
  }
  if (kind.text == "join") {
    op.kind = ProcKind::kJoin;
    if (absl::Status s = no_more(1, {}); !s.ok()) return s;
    if (fork_line_ == 0) return Error(kind.col, "no forked child to join");
    op.of_exec = fork_is_exec_;
    op.cancel_fd = fork_cancel_fd_;
    return op;
  }
  if (kind.text == "exit" || kind.text == "exec") {
    op.kind = kind.text == "exit" ? ProcKind::kExit : ProcKind::kExec;
    if (op.kind == ProcKind::kExec && fork_line_ != 0) {
      return Error(kind.col, absl::StrFormat("the child forked on line %d is "
                                             "not joined yet",
                                             fork_line_));
    }
    if (absl::Status s = no_more(3, {"fd", "offset", "nbytes", "data",
                                     "reqprio", "notify"});
        !s.ok()) {
      return s;
    }
    if (args.positional.size() < 3 || (args.positional[1]->text != "read" &&
                                       args.positional[1]->text != "write")) {
      return Error(kind.col, absl::StrCat("proc ", kind.text, " needs 'read' "
                                          "or 'write' and an aiocb"));
    }
    op.write = args.positional[1]->text == "write";
    const Token& cb = *args.positional[2];
    if (names_.contains(cb.text)) {
      return Error(cb.col, absl::StrCat("'", cb.text, "' is already named: the "
                                        "child's aiocb must be new"));
    }
    absl::StatusOr<CbId> id = DefineCb(cb);
    if (!id.ok()) return id.status();
    op.req.cb = *id;
    if (!op.write && args.Find("data") != nullptr) {
      return Error(args.Find("data")->key_col, "data= is for writes");
    }
    if (absl::Status s = ParseIoRequest(args, kind, op.write, &op.req);
        !s.ok()) {
      return s;
    }
    if (op.req.fd == kBadFd) {
      return Error(args.Find("fd")->value_col,
                   absl::StrCat("proc ", kind.text,
                                " needs an open descriptor"));
    }
    child_cbs_.insert(op.req.cb);
    return op;
  }
  return Error(kind.col, absl::StrCat("unknown proc event '", Shown(kind.text),
                                      "' (fork, join, exit or exec)"));
}

absl::StatusOr<Hold> Parser::ParseHold(const Args& args,
                                       const Token& keyword) {
  if (args.positional.size() < 2 || (args.positional[0]->text != "wait" &&
                                     args.positional[0]->text != "release")) {
    return Error(keyword.col, "hold needs 'wait' or 'release' and a descriptor");
  }
  const Token& kind = *args.positional[0];
  Hold op;
  op.kind = kind.text == "wait" ? HoldKind::kWait : HoldKind::kRelease;
  const Token& fd = *args.positional[1];
  absl::StatusOr<FdId> id = UseFd(fd.text, fd.col, /*allow_badfd=*/false);
  if (!id.ok()) return id.status();
  op.fd = *id;
  if (!hold_fds_.contains(op.fd)) {
    return Error(fd.col, absl::StrCat("descriptor '", fd.text,
                                      "' was not opened with flags=...+hold"));
  }
  const bool wait = op.kind == HoldKind::kWait;
  for (const auto& [key, kv] : args.named) {
    if ((key == "errno") == wait) {
      return Error(kv.key_col, absl::StrCat("unknown argument '", key,
                                            "' for hold ", kind.text));
    }
  }
  const size_t max_positional = wait ? 2 : 3;
  if (args.positional.size() > max_positional ||
      (args.positional.size() == 3 && args.positional[2]->text != "all")) {
    const Token* extra = args.positional[args.positional.size() - 1];
    return Error(extra->col, absl::StrCat("unexpected argument '",
                                          Shown(extra->text), "' for hold ",
                                          kind.text));
  }
  op.all = args.positional.size() == 3;
  if (const KeyValue* count = args.Find("count"); count != nullptr) {
    absl::StatusOr<int32_t> v = Int32Value(count->value, count->value_col);
    if (!v.ok()) return v.status();
    if (*v < 1 || *v > kMaxHoldCount) {
      return Error(count->value_col,
                   absl::StrCat("count= must be 1..", kMaxHoldCount));
    }
    op.count = *v;
  }
  if (const KeyValue* timeout = args.Find("timeout"); timeout != nullptr) {
    absl::StatusOr<Timeout> v = TimeoutValue(*timeout, false);
    if (!v.ok()) return v.status();
    if (v->infinite) {
      return Error(timeout->value_col, "hold wait needs a bounded timeout");
    }
    op.timeout = *v;
  }
  if (const KeyValue* err = args.Find("errno"); err != nullptr) {
    if (err->value == "EIO") {
      op.error = HoldError::kEio;
    } else if (err->value == "ENOSPC") {
      op.error = HoldError::kEnospc;
    } else {
      return Error(err->value_col, absl::StrCat("expected EIO or ENOSPC, got '",
                                                Shown(err->value), "'"));
    }
  }
  return op;
}

// The aiocbs an op submits (aio_read, aio_write, aio_fsync, lio_listio
// elements) and the ones it queries or lists (aio_error, aio_return,
// aio_cancel, aio_suspend, wait, a storm's or a fork's watched aiocbs). A
// `proc exit|exec` child's aiocb is the child's: neither.
struct CbUses {
  std::vector<CbId> submitted;
  std::vector<CbId> queried;
};

CbUses UsesOf(const OpBody& body) {
  CbUses u;
  std::visit(
      [&](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, AioRead> || std::is_same_v<T, AioWrite>) {
          u.submitted.push_back(op.req.cb);
        } else if constexpr (std::is_same_v<T, AioFsync>) {
          u.submitted.push_back(op.cb);
        } else if constexpr (std::is_same_v<T, LioListio>) {
          for (const LioElement& e : op.list) {
            if (!e.is_null) u.submitted.push_back(e.req.cb);
          }
        } else if constexpr (std::is_same_v<T, AioError> ||
                             std::is_same_v<T, AioReturn>) {
          u.queried.push_back(op.cb);
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          if (op.cb != kNullHandle) u.queried.push_back(op.cb);
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          for (CbId cb : op.list) {
            if (cb != kNullHandle) u.queried.push_back(cb);
          }
        } else if constexpr (std::is_same_v<T, Wait> || std::is_same_v<T, Storm>) {
          u.queried = op.cbs;
        } else if constexpr (std::is_same_v<T, Proc>) {
          u.queried = op.watch;
        }
      },
      body);
  return u;
}

absl::Status Parser::CheckProcUse(const OpBody& body, int col) {
  if (const auto* proc = std::get_if<Proc>(&body)) {
    if (proc->kind == ProcKind::kFork || proc->kind == ProcKind::kExec) {
      fork_line_ = line_no_;
      fork_is_exec_ = proc->kind == ProcKind::kExec;
      fork_cancel_fd_ = proc->cancel_fd;
    }
    if (proc->kind == ProcKind::kJoin) fork_line_ = 0;
    return absl::OkStatus();
  }
  if (child_cbs_.empty()) return absl::OkStatus();
  // AIO-PROC-15: a child's aiocb is not the parent's to query or reuse.
  const CbUses uses = UsesOf(body);
  for (const std::vector<CbId>* cbs : {&uses.submitted, &uses.queried}) {
    for (CbId cb : *cbs) {
      if (!child_cbs_.contains(cb)) continue;
      return Error(col, absl::StrCat("aiocb '", trace_.cb_names[cb],
                                     "' belongs to a proc exit child"));
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::CheckStormUse(const OpBody& body, int col) {
  if (const auto* storm = std::get_if<Storm>(&body)) {
    if (storm->on) {
      storm_ = *storm;
      storm_line_ = line_no_;
    } else {
      storm_.reset();
    }
    return absl::OkStatus();
  }
  if (!storm_.has_value()) return absl::OkStatus();
  const CbUses uses = UsesOf(body);
  for (CbId cb : uses.submitted) {
    if (absl::c_find(storm_->cbs, cb) == storm_->cbs.end()) continue;
    return Error(col, absl::StrCat("aiocb '", trace_.cb_names[cb],
                                   "' is watched by the storm: it cannot be "
                                   "submitted again until 'storm off'"));
  }
  const auto* ret = std::get_if<AioReturn>(&body);
  if (ret != nullptr && ret->scribble &&
      absl::c_find(storm_->cbs, ret->cb) != storm_->cbs.end()) {
    return Error(col, absl::StrCat("aiocb '", trace_.cb_names[ret->cb],
                                   "' is watched by the storm: its handler "
                                   "still reads it, so it cannot be "
                                   "scribbled over until 'storm off'"));
  }
  if (std::holds_alternative<Proc>(body)) return absl::OkStatus();
  for (CbId cb : uses.queried) {
    if (absl::c_find(storm_->returns, cb) == storm_->returns.end()) continue;
    return Error(col, absl::StrCat("aiocb '", trace_.cb_names[cb],
                                   "' may be returned by the storm's handler: "
                                   "only the handler may use it until "
                                   "'storm off'"));
  }
  return absl::OkStatus();
}

absl::Status Parser::CheckScribbleUse(const OpBody& body, int col) {
  const CbUses uses = UsesOf(body);
  for (CbId cb : uses.queried) {
    if (!scribbled_.contains(cb)) continue;
    return Error(col, absl::StrCat("aiocb '", trace_.cb_names[cb],
                                   "' was scribbled over: submit it again "
                                   "before using it"));
  }
  for (CbId cb : uses.submitted) scribbled_.erase(cb);
  if (const auto* ret = std::get_if<AioReturn>(&body); ret && ret->scribble) {
    scribbled_.insert(ret->cb);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Trace> ParseTrace(std::string_view text,
                                 std::string_view source_name) {
  return Parser(source_name).Parse(absl::string_view(text.data(), text.size()));
}

}  // namespace aiospec

namespace aiospec {
namespace {
// The aiocbs an AIO call names, and among them the ones it submits or
// returns (which no other op in flight may name).
void CbsOf(const OpBody& body, std::vector<CbId>* named,
           std::vector<CbId>* owned) {
  std::visit(
      [&](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, AioRead> || std::is_same_v<T, AioWrite>) {
          owned->push_back(op.req.cb);
        } else if constexpr (std::is_same_v<T, AioFsync> ||
                             std::is_same_v<T, AioReturn>) {
          owned->push_back(op.cb);
        } else if constexpr (std::is_same_v<T, AioError>) {
          named->push_back(op.cb);
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          if (op.cb != kNullHandle) named->push_back(op.cb);
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          for (CbId cb : op.list) {
            if (cb != kNullHandle) named->push_back(cb);
          }
        } else if constexpr (std::is_same_v<T, LioListio>) {
          for (const LioElement& e : op.list) {
            if (!e.is_null) owned->push_back(e.req.cb);
          }
        }
      },
      body);
  named->insert(named->end(), owned->begin(), owned->end());
}
}  // namespace

absl::StatusOr<ThreadId> Parser::UseThread(const Token& tok) const {
  if (absl::Status s = CheckName(tok.text, tok.col, "thread"); !s.ok()) {
    return s;
  }
  auto it = names_.find(tok.text);
  if (it == names_.end()) {
    return Error(tok.col, absl::StrCat("unknown thread '", tok.text, "'"));
  }
  if (it->second.kind != HandleKind::kThread) {
    return Error(tok.col, absl::StrCat("'", tok.text, "' is a ",
                                       KindNoun(it->second.kind),
                                       ", not a thread"));
  }
  if (!thread_alive_[it->second.index]) {
    return Error(tok.col, absl::StrCat("thread '", tok.text,
                                       "' has ended (declare it again with "
                                       "'thread ", tok.text, "')"));
  }
  return it->second.index;
}

absl::StatusOr<ThreadOp> Parser::ParseThreadOp(absl::Span<const Token> tokens) {
  const Token& keyword = tokens[0];
  if (trace_.version < kThreadsVersion) {
    return Error(keyword.col, absl::StrCat("'", keyword.text,
                                           "' needs 'aiospec-trace 2'"));
  }
  absl::StatusOr<Args> args = SplitArgs(tokens.subspan(1), keyword.text, {});
  if (!args.ok()) return args.status();
  if (absl::Status s = ExpectPositional(*args, keyword, 1, "a thread");
      !s.ok()) {
    return s;
  }
  const Token& name = *args->positional[0];
  ThreadOp op;
  if (keyword.text != "thread") {
    absl::StatusOr<ThreadId> t = UseThread(name);
    if (!t.ok()) return t.status();
    op.thread = *t;
    op.kind = keyword.text == "await"    ? ThreadKind::kAwait
              : keyword.text == "cancel" ? ThreadKind::kCancel
                                         : ThreadKind::kExit;
    op.started = thread_started_[op.thread];
    return op;
  }
  if (absl::Status s = CheckName(name.text, name.col, "thread"); !s.ok()) {
    return s;
  }
  auto [it, inserted] = names_.try_emplace(
      std::string(name.text),
      Handle{HandleKind::kThread, static_cast<int>(trace_.thread_names.size())});
  if (it->second.kind != HandleKind::kThread) {
    return Error(name.col, absl::StrCat("'", name.text, "' is already a ",
                                        KindNoun(it->second.kind)));
  }
  if (inserted) {
    if (trace_.thread_names.size() >= kMaxThreads) {
      names_.erase(it);
      return Error(name.col, absl::StrFormat("more than %d threads",
                                             kMaxThreads));
    }
    trace_.thread_names.emplace_back(name.text);
    thread_alive_.push_back(false);
    thread_started_.push_back(-1);
  } else if (thread_alive_[it->second.index]) {
    return Error(name.col, absl::StrCat("thread '", name.text,
                                        "' is already running"));
  }
  op.kind = ThreadKind::kCreate;
  op.thread = it->second.index;
  return op;
}

absl::Status Parser::CheckThreadUse(const Op& op, int col) {
  const int index = static_cast<int>(trace_.ops.size());
  const auto* t = std::get_if<ThreadOp>(&op.body);
  if (busy_threads_ > 0 && op.run != RunOn::kStart &&
      (t == nullptr || (t->kind != ThreadKind::kAwait &&
                        t->kind != ThreadKind::kCancel))) {
    return Error(col, "a thread has a started op: only 'start', 'await' and "
                      "'cancel' may come until every started op is awaited");
  }
  if (t != nullptr) {
    const std::string& name = trace_.thread_names[t->thread];
    switch (t->kind) {
      case ThreadKind::kCreate:
        thread_alive_[t->thread] = true;
        break;
      case ThreadKind::kAwait:
      case ThreadKind::kCancel:
        if (t->started < 0) {
          return Error(col, absl::StrCat("thread '", name,
                                         "' has no started op"));
        }
        if (t->kind == ThreadKind::kCancel) {
          const auto* su = std::get_if<AioSuspend>(&trace_.ops[t->started].body);
          if (su == nullptr || !su->timeout.infinite) {
            return Error(col, absl::StrCat(
                                  "cancel needs thread '", name,
                                  "' blocked in a started aio_suspend with "
                                  "timeout=none (a required cancellation "
                                  "point)"));
          }
          thread_alive_[t->thread] = false;
        }
        thread_started_[t->thread] = -1;
        --busy_threads_;
        break;
      case ThreadKind::kExit:
        if (thread_started_[t->thread] >= 0) {
          return Error(col, absl::StrCat("thread '", name,
                                         "' has a started op (await it first)"));
        }
        thread_alive_[t->thread] = false;
        break;
    }
    return absl::OkStatus();
  }
  if (op.run == RunOn::kMain) return absl::OkStatus();
  const std::string& name = trace_.thread_names[op.thread];
  if (thread_started_[op.thread] >= 0) {
    return Error(col, absl::StrCat("thread '", name,
                                   "' is still running a started op (await "
                                   "it first)"));
  }
  if (storm_.has_value()) {
    return Error(col, "threads run no ops while a storm is on");
  }
  if (op.run == RunOn::kOn) return absl::OkStatus();
  // Ops in flight at once name different aiocbs, except for queries.
  std::vector<CbId> named, owned;
  CbsOf(op.body, &named, &owned);
  for (size_t other = 0; other < thread_started_.size(); ++other) {
    if (thread_started_[other] < 0) continue;
    std::vector<CbId> other_named, other_owned;
    CbsOf(trace_.ops[thread_started_[other]].body, &other_named, &other_owned);
    for (CbId cb : named) {
      const bool mine = absl::c_find(owned, cb) != owned.end();
      const bool theirs =
          absl::c_find(other_owned, cb) != other_owned.end();
      const bool shared =
          absl::c_find(other_named, cb) != other_named.end();
      if (shared && (mine || theirs)) {
        return Error(col, absl::StrCat("aiocb '", trace_.cb_names[cb],
                                       "' is in use by the op started on "
                                       "thread '", trace_.thread_names[other],
                                       "'"));
      }
    }
  }
  if (busy_threads_ == 0) started_line_ = line_no_;
  thread_started_[op.thread] = index;
  ++busy_threads_;
  return absl::OkStatus();
}

}  // namespace aiospec
