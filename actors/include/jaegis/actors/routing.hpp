#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <type_traits>
#include <vector>

#include "jaegis/actors/hash_ring.hpp"
#include "jaegis/framework/ref.hpp"

namespace jaegis::actors::routing {

/// The strategies a router (router.hpp) can use. A strategy picks the index of the routee a
/// message goes to, and is told when routees come and go. The router calls it only with at
/// least one routee.

/// Each message to the next routee in turn.
struct round_robin {
  template <class M>
  std::size_t pick(const M& /*msg*/, const std::vector<actor_ref>& routees) {
    return next_++ % routees.size();
  }
  void added(const actor_ref& /*routee*/) {}
  void removed(const actor_ref& /*routee*/) {}

 private:
  std::size_t next_ = 0;
};

/// Each message to a routee drawn uniformly at random (seeded, so a run can be replayed).
struct random {
  explicit random(std::uint64_t seed = 0x5eed) : engine_(seed) {}
  template <class M>
  std::size_t pick(const M& /*msg*/, const std::vector<actor_ref>& routees) {
    return std::uniform_int_distribution<std::size_t>(0, routees.size() - 1)(engine_);
  }
  void added(const actor_ref& /*routee*/) {}
  void removed(const actor_ref& /*routee*/) {}

 private:
  std::mt19937_64 engine_;
};

/// A copy of each message to every routee (the message type must be copyable).
struct broadcast {
  static constexpr bool copies_to_all = true;
  template <class M>
  std::size_t pick(const M& /*msg*/, const std::vector<actor_ref>& /*routees*/) {
    return 0;  // unused: the router copies to all
  }
  void added(const actor_ref& /*routee*/) {}
  void removed(const actor_ref& /*routee*/) {}
};

/// Messages with the same key to the same routee, for as long as the routees do not change;
/// adding a routee moves only about 1/N of the keys (hash_ring.hpp). `KeyFn` is called with each
/// routed message (const M&) and returns a key std::hash can hash (an overloaded or generic
/// callable if the router routes several types).
template <class KeyFn>
struct consistent_hash {
  explicit consistent_hash(KeyFn key = KeyFn{},
                           std::size_t points_per_routee = hash_ring::default_points)
      : key_(std::move(key)), ring_(points_per_routee) {}

  template <class M>
  std::size_t pick(const M& msg, const std::vector<actor_ref>& routees) {
    using key_type = std::remove_cvref_t<std::invoke_result_t<KeyFn&, const M&>>;
    const actor_id owner = ring_.owner(std::hash<key_type>{}(key_(msg)));
    for (std::size_t i = 0; i < routees.size(); ++i) {
      if (routees[i].id() == owner) return i;
    }
    return 0;  // unreachable: the ring and the routees change together
  }
  void added(const actor_ref& routee) { ring_.add(routee.id()); }
  void removed(const actor_ref& routee) { ring_.remove(routee.id()); }

 private:
  KeyFn key_;
  hash_ring ring_;
};

template <class Strategy>
concept copies_to_all = requires {
  requires Strategy::copies_to_all;
};

}  // namespace jaegis::actors::routing
