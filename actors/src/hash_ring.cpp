#include "jaegis/actors/hash_ring.hpp"

#include <algorithm>
#include <stdexcept>

namespace jaegis::actors {

namespace {
/// splitmix64's finaliser: a fast bijective mix, so that nearby inputs (consecutive actor ids,
/// small integer keys, std::hash of an int being the identity) land far apart on the ring.
std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

hash_ring::hash_ring(std::size_t points_per_member) : points_per_member_(points_per_member) {
  if (points_per_member == 0) throw std::invalid_argument("hash_ring: points_per_member is 0");
}

bool hash_ring::contains(actor_id member) const noexcept {
  return std::any_of(points_.begin(), points_.end(),
                     [member](const point& p) { return p.member == member; });
}

bool hash_ring::add(actor_id member) {
  if (contains(member)) return false;
  for (std::size_t i = 0; i < points_per_member_; ++i) {
    points_.push_back({mix(mix(member) ^ mix(i)), member});
  }
  std::sort(points_.begin(), points_.end(), [](const point& a, const point& b) {
    return a.position != b.position ? a.position < b.position : a.member < b.member;
  });
  ++members_;
  return true;
}

bool hash_ring::remove(actor_id member) {
  const auto end = std::remove_if(points_.begin(), points_.end(),
                                  [member](const point& p) { return p.member == member; });
  if (end == points_.end()) return false;
  points_.erase(end, points_.end());
  --members_;
  return true;
}

actor_id hash_ring::owner(std::uint64_t key_hash) const {
  if (points_.empty()) throw std::logic_error("hash_ring: owner() on an empty ring");
  const std::uint64_t h = mix(key_hash);
  auto it = std::lower_bound(points_.begin(), points_.end(), h,
                             [](const point& p, std::uint64_t v) { return p.position < v; });
  if (it == points_.end()) it = points_.begin();  // the ring wraps around
  return it->member;
}

}  // namespace jaegis::actors
