#include "fuzz/mutator.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "fuzz/guardrails.h"
#include "fuzz/scenario.h"
#include "harness/trace/random_trace.h"
#include "harness/trace/trace_parser.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

enum class HandleKind { kFile, kFd, kCb };

// Calls f(kind, handle&) for every handle argument of the op, including
// kNullHandle and kBadFd (f skips what it does not want).
template <typename F>
void ForEachHandle(OpBody& body, F&& f) {
  auto req = [&](IoRequest& r) {
    f(HandleKind::kCb, r.cb);
    f(HandleKind::kFd, r.fd);
  };
  std::visit(
      [&](auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, DeclareFile>) {
          f(HandleKind::kFile, b.file);
        } else if constexpr (std::is_same_v<T, DeclarePipe>) {
          f(HandleKind::kFd, b.read_end);
          f(HandleKind::kFd, b.write_end);
        } else if constexpr (std::is_same_v<T, DeclareSocketpair>) {
          f(HandleKind::kFd, b.a);
          f(HandleKind::kFd, b.b);
        } else if constexpr (std::is_same_v<T, Open>) {
          f(HandleKind::kFd, b.fd);
          f(HandleKind::kFile, b.file);
        } else if constexpr (std::is_same_v<T, Close> ||
                             std::is_same_v<T, Fill> ||
                             std::is_same_v<T, Drain> ||
                             std::is_same_v<T, Write>) {
          f(HandleKind::kFd, b.fd);
        } else if constexpr (std::is_same_v<T, Dup>) {
          f(HandleKind::kFd, b.new_fd);
          f(HandleKind::kFd, b.old_fd);
        } else if constexpr (std::is_same_v<T, Dup2>) {
          f(HandleKind::kFd, b.old_fd);
          f(HandleKind::kFd, b.target);
        } else if constexpr (std::is_same_v<T, AioRead> ||
                             std::is_same_v<T, AioWrite>) {
          req(b.req);
        } else if constexpr (std::is_same_v<T, AioFsync>) {
          f(HandleKind::kCb, b.cb);
          f(HandleKind::kFd, b.fd);
        } else if constexpr (std::is_same_v<T, AioError> ||
                             std::is_same_v<T, AioReturn>) {
          f(HandleKind::kCb, b.cb);
        } else if constexpr (std::is_same_v<T, AioSuspend>) {
          for (CbId& cb : b.list) f(HandleKind::kCb, cb);
        } else if constexpr (std::is_same_v<T, AioCancel>) {
          f(HandleKind::kFd, b.fd);
          f(HandleKind::kCb, b.cb);
        } else if constexpr (std::is_same_v<T, LioListio>) {
          for (LioElement& e : b.list) {
            if (!e.is_null) req(e.req);
          }
        } else if constexpr (std::is_same_v<T, Readback>) {
          f(HandleKind::kFile, b.file);
        } else if constexpr (std::is_same_v<T, Wait>) {
          for (CbId& cb : b.cbs) f(HandleKind::kCb, cb);
        }
      },
      body);
}

class Mutator {
 public:
  Mutator(std::mt19937_64& rng, const MutatorOptions& options)
      : rng_(rng), options_(options) {}

  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int>(v.size()) - 1)];
  }

  // --- Splicing ops of one trace into another --------------------------

  static std::vector<std::string>& Table(Trace& t, HandleKind k) {
    return k == HandleKind::kFile ? t.file_names
           : k == HandleKind::kFd ? t.fd_names
                                  : t.cb_names;
  }
  static const std::vector<std::string>& Table(const Trace& t, HandleKind k) {
    return k == HandleKind::kFile ? t.file_names
           : k == HandleKind::kFd ? t.fd_names
                                  : t.cb_names;
  }
  static bool NameUsed(const Trace& t, const std::string& name) {
    for (const auto* names : {&t.file_names, &t.fd_names, &t.cb_names}) {
      if (std::find(names->begin(), names->end(), name) != names->end()) {
        return true;
      }
    }
    return false;
  }
  static int AddName(Trace& t, HandleKind k, std::string name) {
    std::string candidate = name;
    for (int n = 1; NameUsed(t, candidate); ++n) {
      candidate = absl::StrCat(name, "_", n);
    }
    Table(t, k).push_back(std::move(candidate));
    return static_cast<int>(Table(t, k).size()) - 1;
  }

  // Inserts src.ops[first, last) into dst at `at`. Each src handle becomes
  // the dst handle of the same name and kind, or (by_name == false, some of
  // the time) a random dst handle of its kind, or a new one.
  void Splice(Trace& dst, const Trace& src, size_t first, size_t last,
              size_t at, bool by_name) {
    absl::flat_hash_map<int, int> maps[3];
    std::vector<Op> ops;
    for (size_t i = first; i < last; ++i) {
      Op op = src.ops[i];
      op.loc = {};
      ForEachHandle(op.body, [&](HandleKind k, int& h) {
        if (h < 0) return;
        auto& map = maps[static_cast<int>(k)];
        auto it = map.find(h);
        if (it != map.end()) {
          h = it->second;
          return;
        }
        const std::string& name = Table(src, k)[h];
        std::vector<std::string>& names = Table(dst, k);
        int mapped = -1;
        auto same = std::find(names.begin(), names.end(), name);
        if (same != names.end()) {
          mapped = static_cast<int>(same - names.begin());
        } else if (!by_name && !names.empty() && Chance(70)) {
          mapped = Uniform(0, static_cast<int>(names.size()) - 1);
        } else {
          mapped = AddName(dst, k, name);
        }
        map[h] = mapped;
        h = mapped;
      });
      ops.push_back(std::move(op));
    }
    dst.ops.insert(dst.ops.begin() + static_cast<std::ptrdiff_t>(at),
                   std::make_move_iterator(ops.begin()),
                   std::make_move_iterator(ops.end()));
  }

  // --- Argument values ----------------------------------------------------

  int64_t Offset(int64_t now) {
    static const std::vector<int64_t> kValues = {
        0, 1, 3, 7, 4095, 4096, 4097, 65535, 65536, -1,
        std::numeric_limits<int64_t>::max()};
    switch (Uniform(0, 3)) {
      case 0: return Pick(kValues);
      case 1: return SaturatingAdd(now, Uniform(-2, 2));
      default: return Uniform(0, 128);
    }
  }
  static int64_t SaturatingAdd(int64_t a, int64_t b) {
    int64_t out;
    if (__builtin_add_overflow(a, b, &out)) {
      return b > 0 ? std::numeric_limits<int64_t>::max()
                   : std::numeric_limits<int64_t>::min();
    }
    return out;
  }
  int64_t NBytes(int64_t now) {
    static const std::vector<int64_t> kValues = {0, 1, 2, 5, 16, 4096, 65536};
    switch (Uniform(0, 4)) {
      case 0: return Pick(kValues);
      case 1: return std::max<int64_t>(0, SaturatingAdd(now, Uniform(-2, 2)));
      case 2: return SaturatingAdd(now, now);
      case 3: return now / 2;
      default: return Uniform(1, 128);
    }
  }
  std::string Bytes(const std::string& now) {
    static const std::vector<std::string> kPieces = {
        "a", "b", "xyz", "hello", "\n", std::string(1, '\0'), "F", "\xff"};
    std::string out = now;
    switch (Uniform(0, 4)) {
      case 0:
        out.clear();
        for (int n = Uniform(0, 4); n > 0; --n) out += Pick(kPieces);
        break;
      case 1:
        out = std::string(static_cast<size_t>(Uniform(1, 5000)), kFillByte);
        break;
      case 2:
        if (!out.empty()) out[Uniform(0, static_cast<int>(out.size()) - 1)] ^= 1;
        break;
      case 3:
        out += Pick(kPieces);
        break;
      default:
        if (!out.empty()) out.resize(Uniform(0, static_cast<int>(out.size())));
    }
    return out;
  }
  Timeout RandomTimeout(bool allow_negative) {
    static const std::vector<int64_t> kNanos = {
        0, 1'000, 1'000'000, 5'000'000, 20'000'000, 50'000'000, 200'000'000};
    Timeout t;
    t.nanos = Pick(kNanos);
    if (allow_negative && Chance(10)) t.nanos = -1'000'000;
    return t;
  }
  Notify RandomNotify() {
    Notify n;
    const int kind = Uniform(0, 2);
    n.kind = kind == 0 ? NotifyKind::kNone
             : kind == 1 ? NotifyKind::kSignal
                         : NotifyKind::kThread;
    if (n.kind != NotifyKind::kNone) {
      static const std::vector<int32_t> kValues = {0, 1, 7, -1};
      n.value = Chance(50) ? Pick(kValues) : Uniform(0, 100);
    }
    return n;
  }
  int SomeHandle(const Trace& t, HandleKind k, int now) {
    const std::vector<std::string>& names = Table(t, k);
    if (names.empty()) return now;
    return Uniform(0, static_cast<int>(names.size()) - 1);
  }
  FdId CallFd(const Trace& t, FdId now) {
    if (Chance(10)) return kBadFd;
    return SomeHandle(t, HandleKind::kFd, now);
  }

  void EditRequest(const Trace& t, IoRequest& r, bool is_write) {
    switch (Uniform(0, 7)) {
      case 0: r.offset = Offset(r.offset); break;
      case 1:
        r.nbytes = NBytes(r.nbytes);
        if (r.data && Chance(50)) r.data.reset();
        break;
      case 2:
        if (is_write) {
          r.data = Bytes(r.data.value_or(""));
          if (Chance(50)) r.nbytes = static_cast<int64_t>(r.data->size());
        } else {
          r.nbytes = NBytes(r.nbytes);
        }
        break;
      case 3: r.fd = CallFd(t, r.fd); break;
      case 4: r.cb = SomeHandle(t, HandleKind::kCb, r.cb); break;
      case 5: r.notify = RandomNotify(); break;
      case 6: r.reqprio = Chance(70) ? Uniform(0, 3) : Uniform(-1, 25); break;
      default: r.offset = Offset(r.offset); r.nbytes = NBytes(r.nbytes);
    }
  }

  // Edits one argument of op `i`.
  void EditOp(Trace& t, size_t i) {
    std::visit(
        [&](auto& b) {
          using T = std::decay_t<decltype(b)>;
          if constexpr (std::is_same_v<T, DeclareFile>) {
            b.content = Bytes(b.content);
          } else if constexpr (std::is_same_v<T, Open>) {
            static const std::vector<uint32_t> kAccess = {
                kAccessRead, kAccessWrite, kAccessRead | kAccessWrite};
            b.flags = Pick(kAccess);
            if (Chance(25)) b.flags |= kFlagAppend;
            if (Chance(10)) b.flags |= kFlagSync;
            if (Chance(10)) b.flags |= kFlagDsync;
          } else if constexpr (std::is_same_v<T, Close> ||
                               std::is_same_v<T, Fill>) {
            b.fd = SomeHandle(t, HandleKind::kFd, b.fd);
          } else if constexpr (std::is_same_v<T, Drain>) {
            if (Chance(50)) {
              b.max = Chance(50) ? -1 : Uniform(0, 70000);
            } else {
              b.fd = SomeHandle(t, HandleKind::kFd, b.fd);
            }
          } else if constexpr (std::is_same_v<T, Write>) {
            if (Chance(70)) {
              b.data = Bytes(b.data);
            } else {
              b.fd = SomeHandle(t, HandleKind::kFd, b.fd);
            }
          } else if constexpr (std::is_same_v<T, Dup2>) {
            b.target = SomeHandle(t, HandleKind::kFd, b.target);
          } else if constexpr (std::is_same_v<T, AioRead>) {
            EditRequest(t, b.req, /*is_write=*/false);
          } else if constexpr (std::is_same_v<T, AioWrite>) {
            EditRequest(t, b.req, /*is_write=*/true);
            if (!b.req.data && b.req.nbytes == 0 && Chance(50)) b.req.nbytes = 3;
          } else if constexpr (std::is_same_v<T, AioFsync>) {
            switch (Uniform(0, 3)) {
              case 0: b.op = Chance(50) ? FsyncOp::kSync : FsyncOp::kDsync; break;
              case 1: b.op = FsyncOp::kInvalid; break;
              case 2: b.notify = RandomNotify(); break;
              default: b.fd = CallFd(t, b.fd);
            }
          } else if constexpr (std::is_same_v<T, AioError> ||
                               std::is_same_v<T, AioReturn>) {
            b.cb = SomeHandle(t, HandleKind::kCb, b.cb);
          } else if constexpr (std::is_same_v<T, AioSuspend>) {
            if (Chance(40)) {
              b.timeout = RandomTimeout(/*allow_negative=*/true);
            } else if (Chance(50) || b.list.empty()) {
              b.list.push_back(Chance(15) ? kNullHandle
                                          : SomeHandle(t, HandleKind::kCb, 0));
            } else {
              b.list.erase(b.list.begin() +
                           Uniform(0, static_cast<int>(b.list.size()) - 1));
            }
          } else if constexpr (std::is_same_v<T, AioCancel>) {
            if (Chance(50)) {
              b.cb = Chance(30) ? kNullHandle
                                : SomeHandle(t, HandleKind::kCb, b.cb);
            } else {
              b.fd = CallFd(t, b.fd);
            }
          } else if constexpr (std::is_same_v<T, LioListio>) {
            const int what = Uniform(0, 4);
            if (what == 0) {
              b.wait = !b.wait;
            } else if (what == 1) {
              b.notify = RandomNotify();
            } else if (what == 2 && !b.list.empty()) {
              b.list.erase(b.list.begin() +
                           Uniform(0, static_cast<int>(b.list.size()) - 1));
            } else if (what == 3 || b.list.empty()) {
              LioElement e;
              const int kind = Uniform(0, 5);
              if (kind == 0) {
                e.is_null = true;
              } else {
                e.opcode = kind == 1   ? LioOpcode::kNop
                           : kind <= 3 ? LioOpcode::kRead
                                       : LioOpcode::kWrite;
                e.req.cb = SomeHandle(t, HandleKind::kCb, 0);
                e.req.fd = e.opcode == LioOpcode::kNop && Chance(50)
                               ? kNullHandle
                               : CallFd(t, 0);
                e.req.offset = Offset(0);
                e.req.nbytes = NBytes(4);
              }
              b.list.insert(b.list.begin() +
                                Uniform(0, static_cast<int>(b.list.size())),
                            std::move(e));
            } else {
              LioElement& e =
                  b.list[Uniform(0, static_cast<int>(b.list.size()) - 1)];
              if (!e.is_null) {
                EditRequest(t, e.req, e.opcode == LioOpcode::kWrite);
              }
            }
          } else if constexpr (std::is_same_v<T, Wait>) {
            if (Chance(50)) {
              b.timeout = RandomTimeout(/*allow_negative=*/false);
            } else if (Chance(50) || b.cbs.size() < 2) {
              b.cbs.push_back(SomeHandle(t, HandleKind::kCb, 0));
            } else {
              b.cbs.erase(b.cbs.begin() +
                          Uniform(0, static_cast<int>(b.cbs.size()) - 1));
            }
          }
          // pipe, socketpair, dup, readback: nothing to edit but handles,
          // which splicing and reordering already vary.
        },
        t.ops[i].body);
  }

  // --- Structural mutations -------------------------------------------------

  void MutateOnce(Trace& t) {
    const size_t n = t.ops.size();
    const int what = n == 0 ? 0 : Uniform(0, 9);
    auto at = [&](size_t bound) {
      return static_cast<size_t>(Uniform(0, static_cast<int>(bound)));
    };
    switch (what) {
      case 0:
      case 1: {  // insert a few ops of a scenario or a random trace
        // Scenarios share handle names (d, rd, wr): splice them by name.
        const bool scenario = Chance(50);
        Trace donor = scenario ? ScenarioTrace(rng_, options_.guardrails)
                               : RandomTrace(rng_, options_.random_trace_ops);
        if (donor.ops.empty()) return;
        const size_t first = at(donor.ops.size() - 1);
        const size_t last =
            std::min(donor.ops.size(), first + 1 + at(2));
        Splice(t, donor, first, last, at(n), /*by_name=*/scenario);
        return;
      }
      case 2: {  // delete one or a few ops
        const size_t first = at(n - 1);
        const size_t last = std::min(n, first + 1 + (Chance(30) ? at(2) : 0));
        t.ops.erase(t.ops.begin() + static_cast<std::ptrdiff_t>(first),
                    t.ops.begin() + static_cast<std::ptrdiff_t>(last));
        return;
      }
      case 3: {  // duplicate an op
        const size_t i = at(n - 1);
        Op copy = t.ops[i];
        t.ops.insert(t.ops.begin() + static_cast<std::ptrdiff_t>(
                                         Chance(50) ? i + 1 : at(n)),
                     std::move(copy));
        return;
      }
      case 4: {  // swap two ops
        const size_t i = at(n - 1);
        const size_t j = Chance(50) ? std::min(n - 1, i + 1) : at(n - 1);
        std::swap(t.ops[i], t.ops[j]);
        return;
      }
      case 5: {  // move an op
        const size_t i = at(n - 1);
        Op op = std::move(t.ops[i]);
        t.ops.erase(t.ops.begin() + static_cast<std::ptrdiff_t>(i));
        t.ops.insert(t.ops.begin() + static_cast<std::ptrdiff_t>(at(n - 1)),
                     std::move(op));
        return;
      }
      case 6: {  // rebind one handle argument
        const size_t i = at(n - 1);
        std::vector<std::pair<HandleKind, int*>> handles;
        ForEachHandle(t.ops[i].body, [&](HandleKind k, int& h) {
          if (h >= 0) handles.push_back({k, &h});
        });
        if (handles.empty()) return;
        auto [kind, h] = handles[Uniform(0, static_cast<int>(handles.size()) - 1)];
        *h = SomeHandle(t, kind, *h);
        return;
      }
      default:  // edit an argument
        EditOp(t, at(n - 1));
        return;
    }
  }

  Trace Mutate(Trace t) {
    for (int k = Uniform(1, 3); k > 0; --k) MutateOnce(t);
    return MakeRunnable(std::move(t), options_.guardrails);
  }

  Trace Cross(const Trace& a, const Trace& b) {
    Trace child = a;
    child.ops.resize(a.ops.empty() ? 0 : Uniform(0, static_cast<int>(a.ops.size())));
    if (!b.ops.empty()) {
      const size_t first = Uniform(0, static_cast<int>(b.ops.size()) - 1);
      const size_t last = Uniform(static_cast<int>(first) + 1,
                                  static_cast<int>(b.ops.size()));
      Splice(child, b, first, last, child.ops.size(), /*by_name=*/true);
    }
    return MakeRunnable(std::move(child), options_.guardrails);
  }

  // An input that does not parse (an empty corpus starts with one) becomes
  // a scenario, now and then a grammar-random trace.
  Trace ParseOrRandom(std::string_view text) {
    absl::StatusOr<Trace> t = ParseTrace(text, "fuzz");
    if (t.ok()) return *std::move(t);
    if (Chance(80)) return ScenarioTrace(rng_, options_.guardrails);
    return MakeRunnable(RandomTrace(rng_, options_.random_trace_ops),
                        options_.guardrails);
  }

  // The text of `t`, dropping ops from the end until it fits.
  std::string Fit(Trace t) {
    std::string text = PrintTrace(t);
    while (text.size() > options_.max_text_bytes && !t.ops.empty()) {
      t.ops.resize(t.ops.size() / 2);
      t = MakeRunnable(std::move(t), options_.guardrails);
      text = PrintTrace(t);
    }
    if (text.size() > options_.max_text_bytes) {
      text = PrintTrace(Trace{});  // covers/about alone were too long
    }
    return text;
  }

 private:
  std::mt19937_64& rng_;
  const MutatorOptions& options_;
};

}  // namespace

Trace MutateTrace(Trace trace, std::mt19937_64& rng,
                  const MutatorOptions& options) {
  return Mutator(rng, options).Mutate(std::move(trace));
}

Trace CrossOver(const Trace& a, const Trace& b, std::mt19937_64& rng,
                const MutatorOptions& options) {
  return Mutator(rng, options).Cross(a, b);
}

std::string MutateTraceText(std::string_view text, std::mt19937_64& rng,
                            const MutatorOptions& options) {
  Mutator m(rng, options);
  // One input in ten is a fresh scenario: once the corpus has grown, most
  // inputs are edits of it, and the shapes only a whole scenario builds
  // (reads held on a pipe, then its close) would otherwise thin out.
  if (rng() % 10 == 0) return m.Fit(ScenarioTrace(rng, options.guardrails));
  return m.Fit(m.Mutate(m.ParseOrRandom(text)));
}

std::string CrossOverTraceText(std::string_view a, std::string_view b,
                               std::mt19937_64& rng,
                               const MutatorOptions& options) {
  Mutator m(rng, options);
  return m.Fit(m.Cross(m.ParseOrRandom(a), m.ParseOrRandom(b)));
}

}  // namespace aiospec
