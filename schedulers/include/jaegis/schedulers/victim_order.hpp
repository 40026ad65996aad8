#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace jaegis::sched {

/// The order in which a worker visits the others when it steals: every worker on its own NUMA node
/// first, then every worker on the other nodes, each group entered at a random point so that
/// thieves spread out instead of all hitting worker 0. Built once per worker; a visit allocates
/// nothing.
class victim_order {
 public:
  /// `worker_nodes[i]` is the node of worker i; `self` is the thief.
  victim_order(const std::vector<int>& worker_nodes, std::size_t self);

  /// Calls `visit(victim)` for every other worker in steal order until it returns true; returns
  /// whether one did. `random` picks the entry points.
  template <class Visit>
  bool for_each(std::uint64_t random, Visit&& visit) const {
    return visit_group(near_, random, visit) || visit_group(far_, random >> 32, visit);
  }

  const std::vector<std::size_t>& same_node() const noexcept { return near_; }
  const std::vector<std::size_t>& other_nodes() const noexcept { return far_; }

 private:
  template <class Visit>
  static bool visit_group(const std::vector<std::size_t>& group, std::uint64_t random,
                          Visit& visit) {
    const std::size_t n = group.size();
    if (n == 0) return false;
    const std::size_t start = static_cast<std::size_t>(random % n);
    for (std::size_t i = 0; i < n; ++i) {
      if (visit(group[(start + i) % n])) return true;
    }
    return false;
  }

  std::vector<std::size_t> near_;
  std::vector<std::size_t> far_;
};

/// xorshift64*: a fast per-thread generator for victim choice and the deterministic order.
class xorshift64 {
 public:
  explicit xorshift64(std::uint64_t seed) noexcept : state_(seed ? seed : 0x2545f4914f6cdd1dull) {}
  std::uint64_t next() noexcept {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }

 private:
  std::uint64_t state_;
};

}  // namespace jaegis::sched
