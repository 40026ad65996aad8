#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "jaegis/framework/actor_table.hpp"
#include "jaegis/framework/ref.hpp"
#include "jaegis/framework/type_id.hpp"

namespace jaegis {

class actor_system;

/// Finds actors by id and by name, from any thread, without a lock.
///
/// - By id: every actor has one (ref.id()); get(id) resolves it through the actor table (one CAS on
///   the actor's slot). A stale id (its actor gone) resolves to an empty ref, never to another
///   actor.
/// - By name: put(name, ref) binds a name and keeps the actor alive (the registry holds a
///   reference) until erase(name), a put of another actor under that name, the actor's stop, or
///   shutdown. get<ref<A>>(name) returns an empty ref if nothing is bound, the actor stopped, or it
///   is not an A.
///
/// Names live in an open-addressing table of fixed capacity (actor_system_config::registry_names,
/// default 4096) whose entries are never moved or freed while the system runs: a lookup probes
/// with plain atomic loads, and a binding is one atomic id per name. Putting more distinct names
/// than the capacity throws std::length_error.
class registry {
 public:
  registry(actor_system& system, std::size_t name_capacity);
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// The actor with this id, or an empty ref if it is gone.
  actor_ref get(actor_id id) const;

  /// The actor bound to `name`; R is actor_ref or ref<A> (then it must be an A).
  template <class R = actor_ref>
  R get(std::string_view name) const {
    if constexpr (std::is_same_v<R, actor_ref>) {
      return lookup(name, 0);
    } else {
      actor_ref found = lookup(name, type_id<typename R::actor_type>());
      detail::actor_cell* cell = found.cell();
      if (cell == nullptr) return R{};
      cell->retain();
      return R::adopt(cell);
    }
  }

  /// Binds `name` to `actor` (replacing a previous binding). An empty ref erases.
  void put(std::string_view name, const actor_ref& actor);
  /// Unbinds `name`. True if it was bound.
  bool erase(std::string_view name);
  /// Unbinds every name bound to `id` (the runtime calls it when the actor stops).
  void erase_actor(actor_id id) noexcept;
  /// Releases every binding (shutdown).
  void clear() noexcept;
  /// Names bound right now (a snapshot).
  std::size_t size() const noexcept;

 private:
  struct entry;
  actor_ref lookup(std::string_view name, type_id_t expected_type) const;
  entry* find(std::string_view name, std::uint64_t hash) const noexcept;
  entry& find_or_insert(std::string_view name, std::uint64_t hash);
  bool unbind(entry& e, actor_id expected) noexcept;

  actor_system& system_;
  const std::size_t mask_;
  std::unique_ptr<std::atomic<entry*>[]> slots_;
};

}  // namespace jaegis
