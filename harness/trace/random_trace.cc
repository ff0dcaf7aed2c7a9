#include "harness/trace/random_trace.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace aiospec {
namespace {

// Names that are keywords somewhere else in the grammar, but valid names;
// each list belongs to one handle kind so names stay unique across kinds.
constexpr const char* kSpecialFileNames[] = {"read", "none", "_"};
constexpr const char* kSpecialFdNames[] = {"wait", "nop", "timeout", "D9"};
constexpr const char* kSpecialCbNames[] = {"write", "nowait", "sync", "about",
                                           "covers"};

class Generator {
 public:
  explicit Generator(std::mt19937_64& rng) : rng_(rng) {}

  Trace Run(int max_ops) {
    if (Chance(30)) trace_.about = Bytes();
    for (int n = Uniform(0, 3); n > 0; --n) {
      constexpr const char* kAreas[] = {"READ", "WRITE", "ERROR", "LIO"};
      trace_.covers.push_back(absl::StrCat(
          "AIO-", kAreas[Uniform(0, 3)], "-", Uniform(0, 12) < 10 ? "0" : "",
          Uniform(0, 99)));
    }
    const int ops = Uniform(0, max_ops);
    for (int i = 0; i < ops; ++i) trace_.ops.push_back(Op{NextOp(), {}});
    return std::move(trace_);
  }

 private:
  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }

  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Uniform(0, N - 1)];
  }

  std::string NewName(const char* prefix, const char* const* specials,
                      size_t num_specials, size_t* specials_used,
                      int* counter) {
    if (*specials_used < num_specials && Chance(15)) {
      return specials[(*specials_used)++];
    }
    return absl::StrCat(prefix, (*counter)++);
  }

  std::string Bytes() {
    std::string out;
    if (Chance(15)) out.append(Uniform(16, 200), kFillByte);
    constexpr char kAlphabet[] = {'a', 'b', 'z', '0', ' ', '"', '\\', '\n',
                                  '\0', '\t', '#', ';', ']', '\x7f', '\xff'};
    for (int n = Uniform(0, 12); n > 0; --n) out += Pick(kAlphabet);
    return out;
  }

  int64_t Offset() {
    switch (Uniform(0, 9)) {
      case 0: return -1;
      case 1: return std::numeric_limits<int64_t>::max();
      case 2: return std::numeric_limits<int64_t>::min();
      case 3: return Uniform(0, 1 << 20);
      default: return Uniform(0, 64);
    }
  }
  int64_t NBytes() {
    switch (Uniform(0, 11)) {
      case 0: return -1;
      case 1: return std::numeric_limits<int64_t>::min();
      case 2: return 65536;
      case 3: return 0;
      default: return Uniform(1, 64);
    }
  }
  Notify RandomNotify() {
    Notify n;
    switch (Uniform(0, 3)) {
      case 0: n.kind = NotifyKind::kSignal; break;
      case 1: n.kind = NotifyKind::kThread; break;
      default: return n;
    }
    constexpr int32_t kValues[] = {0, 1, 7, -1,
                                   std::numeric_limits<int32_t>::max(),
                                   std::numeric_limits<int32_t>::min()};
    n.value = Chance(50) ? Pick(kValues) : Uniform(0, 1000);
    return n;
  }
  Timeout RandomTimeout(bool allow_negative) {
    Timeout t;
    switch (Uniform(0, 5)) {
      case 0: t.nanos = 0; break;
      case 1: t.nanos = int64_t{Uniform(1, 999)} * 1000000; break;
      case 2: t.nanos = Uniform(1, 999999); break;
      case 3: t.nanos = int64_t{Uniform(1, 3)} * 1000000000; break;
      case 4: t.nanos = int64_t{Uniform(1, 5000)} * 1000; break;
      default:
        t.nanos = allow_negative ? -int64_t{Uniform(1, 10)} * 1000000 : 1;
    }
    return t;
  }

  // --- Handles --------------------------------------------------------------

  FileId NewFile() {
    trace_.file_names.push_back(NewName("f", kSpecialFileNames,
                                        std::size(kSpecialFileNames),
                                        &file_specials_, &file_counter_));
    return static_cast<FileId>(trace_.file_names.size() - 1);
  }
  FdId NewFd() {
    trace_.fd_names.push_back(NewName("d", kSpecialFdNames,
                                      std::size(kSpecialFdNames),
                                      &fd_specials_, &fd_counter_));
    fd_open_.push_back(false);
    return static_cast<FdId>(trace_.fd_names.size() - 1);
  }
  // A descriptor the op is about to open: a closed one or a new one.
  FdId ClosedOrNewFd() {
    std::vector<FdId> closed;
    for (size_t i = 0; i < fd_open_.size(); ++i) {
      if (!fd_open_[i]) closed.push_back(static_cast<FdId>(i));
    }
    FdId fd = !closed.empty() && Chance(50)
                  ? closed[Uniform(0, static_cast<int>(closed.size()) - 1)]
                  : NewFd();
    fd_open_[fd] = true;
    return fd;
  }
  std::optional<FdId> OpenFd() {
    std::vector<FdId> open;
    for (size_t i = 0; i < fd_open_.size(); ++i) {
      if (fd_open_[i]) open.push_back(static_cast<FdId>(i));
    }
    if (open.empty()) return std::nullopt;
    return open[Uniform(0, static_cast<int>(open.size()) - 1)];
  }
  // The descriptor argument of an aio call: mostly open, sometimes badfd.
  FdId CallFd() {
    std::optional<FdId> fd = OpenFd();
    if (!fd.has_value() || Chance(8)) return kBadFd;
    return *fd;
  }
  CbId DefineCb() {
    if (!trace_.cb_names.empty() && Chance(40)) return ExistingCb();
    trace_.cb_names.push_back(NewName("a", kSpecialCbNames,
                                      std::size(kSpecialCbNames),
                                      &cb_specials_, &cb_counter_));
    return static_cast<CbId>(trace_.cb_names.size() - 1);
  }
  CbId ExistingCb() {
    return Uniform(0, static_cast<int>(trace_.cb_names.size()) - 1);
  }
  CbId ExistingCbOrNull() {
    if (trace_.cb_names.empty() || Chance(15)) return kNullHandle;
    return ExistingCb();
  }

  IoRequest Request(bool is_write) {
    IoRequest req;
    req.cb = DefineCb();
    req.fd = CallFd();
    req.offset = Offset();
    req.nbytes = NBytes();
    if (is_write && Chance(50)) {
      req.data = Bytes();
      if (Chance(50)) req.nbytes = static_cast<int64_t>(req.data->size());
    }
    if (Chance(20)) req.reqprio = Chance(50) ? Uniform(-2, 20) : 0;
    req.notify = RandomNotify();
    return req;
  }

  // --- Ops ------------------------------------------------------------------

  OpBody NextOp() {
    enum Kind {
      kFile, kPipe, kSocketpair, kOpen, kClose, kDup, kDup2, kRead, kWrite,
      kFsync, kError, kReturn, kSuspend, kCancel, kLio, kFill, kDrain,
      kWriteFd, kReadback, kWait, kNumKinds
    };
    const int kind = Uniform(0, kNumKinds - 1);
    const std::optional<FdId> open_fd = OpenFd();
    const bool have_files = !trace_.file_names.empty();
    const bool have_cbs = !trace_.cb_names.empty();
    switch (kind) {
      case kPipe: {
        FdId r = ClosedOrNewFd();
        return DeclarePipe{r, ClosedOrNewFd()};
      }
      case kSocketpair: {
        FdId a = ClosedOrNewFd();
        return DeclareSocketpair{a, ClosedOrNewFd()};
      }
      case kOpen:
        if (!have_files) break;
        {
          Open op;
          op.fd = ClosedOrNewFd();
          op.file = Uniform(0, static_cast<int>(trace_.file_names.size()) - 1);
          constexpr uint32_t kAccess[] = {kAccessRead, kAccessWrite,
                                          kAccessRead | kAccessWrite};
          op.flags = Pick(kAccess);
          if (Chance(20)) op.flags |= kFlagAppend;
          if (Chance(10)) op.flags |= kFlagSync;
          if (Chance(10)) op.flags |= kFlagDsync;
          return op;
        }
      case kClose:
        if (!open_fd) break;
        fd_open_[*open_fd] = false;
        return Close{*open_fd};
      case kDup:
        if (!open_fd) break;
        return Dup{ClosedOrNewFd(), *open_fd};
      case kDup2:
        if (!open_fd) break;
        {
          FdId target;
          if (Chance(50)) {
            target = *OpenFd();  // replacing an open descriptor
          } else if (Chance(50)) {
            target = ClosedOrNewFd();
          } else {
            target = NewFd();
          }
          fd_open_[target] = true;
          return Dup2{*open_fd, target};
        }
      case kRead: return AioRead{Request(false), std::nullopt};
      case kWrite: return AioWrite{Request(true), std::nullopt};
      case kFsync: {
        AioFsync op;
        op.cb = DefineCb();
        op.fd = CallFd();
        constexpr FsyncOp kOps[] = {FsyncOp::kSync, FsyncOp::kDsync,
                                    FsyncOp::kInvalid};
        op.op = Pick(kOps);
        op.notify = RandomNotify();
        return op;
      }
      case kError:
        if (!have_cbs) break;
        return AioError{ExistingCb()};
      case kReturn:
        if (!have_cbs) break;
        return AioReturn{ExistingCb()};
      case kSuspend: {
        AioSuspend op;
        for (int n = Uniform(0, 4); n > 0; --n) {
          op.list.push_back(ExistingCbOrNull());
        }
        if (Chance(60)) op.timeout = RandomTimeout(/*allow_negative=*/true);
        return op;
      }
      case kCancel: {
        AioCancel op;
        op.fd = CallFd();
        op.cb = ExistingCbOrNull();
        return op;
      }
      case kLio: {
        LioListio op;
        op.wait = Chance(50);
        for (int n = Uniform(0, 4); n > 0; --n) {
          LioElement e;
          switch (Uniform(0, 6)) {
            case 0: e.is_null = true; break;
            case 1:
              e.opcode = LioOpcode::kNop;
              e.req.cb = DefineCb();
              if (Chance(50)) e.req.fd = CallFd();
              break;
            case 2:
            case 3:
              e.opcode = LioOpcode::kRead;
              e.req = Request(false);
              break;
            default:
              e.opcode = LioOpcode::kWrite;
              e.req = Request(true);
          }
          op.list.push_back(std::move(e));
        }
        op.notify = RandomNotify();
        return op;
      }
      case kFill:
        if (!open_fd) break;
        return Fill{*open_fd};
      case kDrain:
        if (!open_fd) break;
        return Drain{*open_fd, Chance(50) ? -1 : int64_t{Uniform(0, 70000)}};
      case kWriteFd:
        if (!open_fd) break;
        return Write{*open_fd, Bytes()};
      case kReadback:
        if (!have_files) break;
        return Readback{
            Uniform(0, static_cast<int>(trace_.file_names.size()) - 1)};
      case kWait:
        if (!have_cbs) break;
        {
          Wait op;
          for (int n = Uniform(1, 3); n > 0; --n) op.cbs.push_back(ExistingCb());
          if (Chance(40)) op.timeout = RandomTimeout(/*allow_negative=*/false);
          op.notified = Chance(5);
          return op;
        }
      default:
        break;
    }
    // The chosen op needs a handle that does not exist yet: make one,
    // preferring descriptors so that calls mostly get a real one.
    if (!open_fd && Chance(70)) {
      if (have_files && Chance(50)) {
        const FdId fd = ClosedOrNewFd();
        return Open{fd,
                    Uniform(0, static_cast<int>(trace_.file_names.size()) - 1),
                    kAccessRead | kAccessWrite};
      }
      const FdId r = ClosedOrNewFd();
      return DeclarePipe{r, ClosedOrNewFd()};
    }
    DeclareFile file{NewFile(), ""};
    if (Chance(50)) file.content = Bytes();
    return file;
  }

  std::mt19937_64& rng_;
  Trace trace_;
  std::vector<bool> fd_open_;
  size_t file_specials_ = 0, fd_specials_ = 0, cb_specials_ = 0;
  int file_counter_ = 0, fd_counter_ = 0, cb_counter_ = 0;
};

}  // namespace

Trace RandomTrace(std::mt19937_64& rng, int max_ops) {
  return Generator(rng).Run(max_ops);
}

}  // namespace aiospec
