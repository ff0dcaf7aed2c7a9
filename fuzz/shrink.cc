#include "fuzz/shrink.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "fuzz/guardrails.h"
#include "harness/trace/trace_printer.h"

namespace aiospec {
namespace {

// Smaller is better: fewer ops first, then shorter text.
std::pair<size_t, size_t> Cost(const Trace& t) {
  return {t.ops.size(), PrintTrace(t).size()};
}

template <typename T>
void HalveString(std::vector<Trace>& out, const Trace& t, size_t i,
                 std::string T::*field) {
  const std::string& s = std::get<T>(t.ops[i].body).*field;
  if (s.empty()) return;
  Trace front = t;
  (std::get<T>(front.ops[i].body).*field).resize(s.size() / 2);
  out.push_back(std::move(front));
  Trace back = t;
  (std::get<T>(back.ops[i].body).*field) = s.substr(s.size() / 2);
  out.push_back(std::move(back));
}

// Simpler versions of op i, each one edit away.
std::vector<Trace> Simplifications(const Trace& t, size_t i) {
  std::vector<Trace> out;
  auto edit = [&](auto&& f) {
    Trace c = t;
    f(c.ops[i].body);
    if (!(c.ops[i] == t.ops[i])) out.push_back(std::move(c));
  };
  auto request = [&](auto get) {
    edit([&](OpBody& b) { get(b).offset = 0; });
    edit([&](OpBody& b) { get(b).nbytes /= 2; });
    for (const bool keep_front : {true, false}) {
      edit([&](OpBody& b) {
        IoRequest& r = get(b);
        if (!r.data || r.data->empty()) return;
        const size_t half = r.data->size() / 2;
        *r.data = keep_front ? r.data->substr(0, half) : r.data->substr(half);
        r.nbytes = std::min<int64_t>(r.nbytes, r.data->size());
      });
    }
    edit([&](OpBody& b) { get(b).notify = Notify{}; });
    edit([&](OpBody& b) { get(b).reqprio = 0; });
  };
  const OpBody& body = t.ops[i].body;
  if (std::holds_alternative<AioRead>(body)) {
    request([](OpBody& b) -> IoRequest& { return std::get<AioRead>(b).req; });
  } else if (std::holds_alternative<AioWrite>(body)) {
    request([](OpBody& b) -> IoRequest& { return std::get<AioWrite>(b).req; });
  } else if (std::holds_alternative<AioFsync>(body)) {
    edit([](OpBody& b) { std::get<AioFsync>(b).notify = Notify{}; });
    edit([](OpBody& b) { std::get<AioFsync>(b).op = FsyncOp::kSync; });
  } else if (const auto* s = std::get_if<AioSuspend>(&body)) {
    for (size_t k = 0; k < s->list.size(); ++k) {
      edit([&](OpBody& b) {
        auto& l = std::get<AioSuspend>(b).list;
        l.erase(l.begin() + static_cast<std::ptrdiff_t>(k));
      });
    }
    edit([](OpBody& b) { std::get<AioSuspend>(b).timeout = Timeout{false, 0}; });
  } else if (const auto* w = std::get_if<Wait>(&body)) {
    for (size_t k = 0; w->cbs.size() > 1 && k < w->cbs.size(); ++k) {
      edit([&](OpBody& b) {
        auto& l = std::get<Wait>(b).cbs;
        l.erase(l.begin() + static_cast<std::ptrdiff_t>(k));
      });
    }
  } else if (const auto* l = std::get_if<LioListio>(&body)) {
    for (size_t k = 0; k < l->list.size(); ++k) {
      edit([&](OpBody& b) {
        auto& list = std::get<LioListio>(b).list;
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(k));
      });
    }
    edit([](OpBody& b) { std::get<LioListio>(b).notify = Notify{}; });
    for (size_t k = 0; k < l->list.size(); ++k) {
      edit([&](OpBody& b) {
        LioElement& e = std::get<LioListio>(b).list[k];
        if (e.is_null) return;
        e.req.offset = 0;
        e.req.notify = Notify{};
        e.req.reqprio = 0;
      });
    }
  } else if (std::holds_alternative<DeclareFile>(body)) {
    HalveString<DeclareFile>(out, t, i, &DeclareFile::content);
  } else if (std::holds_alternative<Write>(body)) {
    HalveString<Write>(out, t, i, &Write::data);
  } else if (std::holds_alternative<Drain>(body)) {
    edit([](OpBody& b) { std::get<Drain>(b).max = -1; });
  } else if (std::holds_alternative<AioCancel>(body)) {
    edit([](OpBody& b) { std::get<AioCancel>(b).cb = kNullHandle; });
  } else if (std::holds_alternative<Open>(body)) {
    edit([](OpBody& b) {
      std::get<Open>(b).flags &= kAccessRead | kAccessWrite;
    });
  }
  return out;
}

class Shrinker {
 public:
  Shrinker(const JudgeFn& judge, const ShrinkOptions& options)
      : judge_(judge), options_(options) {}

  ShrinkResult Run(const Trace& trace) {
    current_ = trace;
    signature_ = judge_(trace);
    judgements_ = 1;
    Trace bare = current_;
    bare.covers.clear();
    bare.about.clear();
    Try(std::move(bare));
    bool progress = true;
    while (progress && Budget()) {
      progress = RemoveOps();
      progress |= SimplifyArguments();
    }
    return ShrinkResult{current_, signature_, judgements_};
  }

 private:
  bool Budget() const { return judgements_ < options_.max_judgements; }

  // Adopts `candidate` (made runnable) if it is smaller and fails the same
  // way every time.
  bool Try(Trace candidate) {
    if (!Budget()) return false;
    candidate = MakeRunnable(std::move(candidate), options_.guardrails);
    if (!(Cost(candidate) < Cost(current_))) return false;
    for (int k = 0; k < std::max(1, options_.confirmations); ++k) {
      if (!Budget()) return false;
      ++judgements_;
      if (judge_(candidate) != signature_) return false;
    }
    current_ = std::move(candidate);
    return true;
  }

  // ddmin: remove chunks of size/n ops, refining n down to single ops.
  bool RemoveOps() {
    bool any = false;
    size_t n = 2;
    while (!current_.ops.empty() && Budget()) {
      const size_t size = current_.ops.size();
      n = std::min(n, size);
      const size_t chunk = (size + n - 1) / n;
      bool removed = false;
      for (size_t start = 0; start < size && Budget(); start += chunk) {
        Trace c = current_;
        c.ops.erase(c.ops.begin() + static_cast<std::ptrdiff_t>(start),
                    c.ops.begin() +
                        static_cast<std::ptrdiff_t>(std::min(size, start + chunk)));
        if (Try(std::move(c))) {
          removed = any = true;
          break;
        }
      }
      if (removed) {
        n = std::max<size_t>(2, n - 1);
        continue;
      }
      if (chunk == 1) break;
      n = std::min(size, 2 * n);
    }
    return any;
  }

  bool SimplifyArguments() {
    bool any = false;
    for (size_t i = 0; i < current_.ops.size() && Budget(); ++i) {
      bool again = true;
      while (again && Budget() && i < current_.ops.size()) {
        again = false;
        for (Trace& c : Simplifications(current_, i)) {
          if (Try(std::move(c))) {
            again = any = true;
            break;
          }
        }
      }
    }
    return any;
  }

  const JudgeFn& judge_;
  const ShrinkOptions& options_;
  Trace current_;
  std::string signature_;
  int judgements_ = 0;
};

}  // namespace

ShrinkResult ShrinkTrace(const Trace& trace, const JudgeFn& judge,
                         const ShrinkOptions& options) {
  return Shrinker(judge, options).Run(trace);
}

}  // namespace aiospec
