// A set of distinct worlds, kept in insertion order.
//
// Dedupes by State::Hash (cached per entry, so a rehash never walks a state
// again; a set of one world is never hashed) and State's operator==; a set
// of a few worlds is scanned (no hash table is built until it grows).
// Entries are addressed by index, which lets a breadth-first search use the
// set as its own queue: visit index 0, 1, ... while inserting successors.
// BasicStateSet<T, Of> keeps entries of type T that carry a State (Of(t)),
// e.g. a world with what it took to reach it (checker.cc).
//
// Usage:
//   StateSet set;
//   set.Insert(initial);
//   for (size_t i = 0; i < set.size(); ++i) {
//     for (State& next : StepRequest(set[i], cb, ctx)) set.Insert(std::move(next));
//   }
//   std::vector<State> all = std::move(set).Take();
#ifndef AIOSPEC_MODEL_STATE_SET_H_
#define AIOSPEC_MODEL_STATE_SET_H_

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "model/state.h"

namespace aiospec {

inline const State& StateItself(const State& s) { return s; }

template <typename T, const State& (*Of)(const T&)>
class BasicStateSet {
 public:
  BasicStateSet() : index_(0, Hasher{this}, Eq{this}) {}
  // The functors point at this object.
  BasicStateSet(const BasicStateSet&) = delete;
  BasicStateSet& operator=(const BasicStateSet&) = delete;

  // Adds `s` unless an equal world is present. Returns the index of the
  // world (the new or the equal one) and whether `s` was added.
  std::pair<size_t, bool> Insert(T s) {
    // A set that only ever holds one world (most steps) never hashes it.
    if (states_.empty()) {
      states_.push_back(std::move(s));
      hashes_.push_back(0);
      first_hashed_ = false;
      return {0, true};
    }
    if (!first_hashed_) {
      hashes_[0] = Of(states_[0]).Hash();
      first_hashed_ = true;
    }
    const size_t hash = Of(s).Hash();
    if (states_.size() <= kLinear) {
      // A few worlds: a scan of the hashes beats building a hash table.
      for (size_t i = 0; i < states_.size(); ++i) {
        if (hashes_[i] == hash && Of(states_[i]) == Of(s)) return {i, false};
      }
      states_.push_back(std::move(s));
      hashes_.push_back(hash);
      if (states_.size() > kLinear) {
        index_.reserve(2 * states_.size());
        for (size_t i = 0; i < states_.size(); ++i) index_.insert(i);
      }
      return {states_.size() - 1, true};
    }
    states_.push_back(std::move(s));
    hashes_.push_back(hash);
    auto [it, inserted] = index_.insert(states_.size() - 1);
    if (!inserted) {
      states_.pop_back();
      hashes_.pop_back();
    }
    return {*it, inserted};
  }

  size_t size() const { return states_.size(); }
  bool empty() const { return states_.empty(); }
  const T& operator[](size_t i) const { return states_[i]; }
  // For what an entry carries besides its State, which must not change.
  T& Mutable(size_t i) { return states_[i]; }
  void reserve(size_t n) {
    states_.reserve(n);
    hashes_.reserve(n);
    if (n > kLinear) index_.reserve(n);
  }

  // The worlds in insertion order; the set is empty afterwards.
  std::vector<T> Take() && {
    first_hashed_ = false;
    index_.clear();
    hashes_.clear();
    return std::move(states_);
  }

 private:
  struct Hasher {
    const BasicStateSet* set;
    size_t operator()(size_t i) const { return set->hashes_[i]; }
  };
  struct Eq {
    const BasicStateSet* set;
    bool operator()(size_t a, size_t b) const {
      return set->hashes_[a] == set->hashes_[b] &&
             Of(set->states_[a]) == Of(set->states_[b]);
    }
  };

  std::vector<T> states_;
  std::vector<size_t> hashes_;
  // Up to this many worlds the set is scanned; past it, indexed.
  static constexpr size_t kLinear = 8;

  bool first_hashed_ = false;  // hashes_[0] is states_[0]'s hash
  absl::flat_hash_set<size_t, Hasher, Eq> index_;
};

using StateSet = BasicStateSet<State, StateItself>;

}  // namespace aiospec

#endif  // AIOSPEC_MODEL_STATE_SET_H_
