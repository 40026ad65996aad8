#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "jaegis/framework/envelope.hpp"

namespace jaegis::actors {

/// Consistent hashing (Karger et al.): each member owns `points_per_member` pseudo-random points
/// on a 64-bit ring, and a key belongs to the member owning the first point at or after the key's
/// hash. A key maps to the same member for as long as the member set is unchanged; adding a member
/// moves only the keys that land on its new points (about 1/N of them), removing one moves only
/// its own keys. Members are actor ids, so the mapping does not depend on the order members were
/// added in.
class hash_ring {
 public:
  /// 160 points per member keeps the largest member's share within ~10% of the mean for a
  /// handful of members (the spread shrinks as 1/sqrt(points)) at 2.5 KiB of ring per member.
  static constexpr std::size_t default_points = 160;

  explicit hash_ring(std::size_t points_per_member = default_points);

  /// False if `member` was already there.
  bool add(actor_id member);
  /// False if `member` was not there.
  bool remove(actor_id member);
  bool contains(actor_id member) const noexcept;
  std::size_t size() const noexcept { return members_; }
  bool empty() const noexcept { return members_ == 0; }

  /// The member that owns `key_hash` (a hash of the key: std::hash is fine, it is mixed again
  /// here). Throws std::logic_error on an empty ring.
  actor_id owner(std::uint64_t key_hash) const;

 private:
  struct point {
    std::uint64_t position;
    actor_id member;
  };
  std::vector<point> points_;  ///< sorted by position
  std::size_t points_per_member_;
  std::size_t members_ = 0;
};

}  // namespace jaegis::actors
