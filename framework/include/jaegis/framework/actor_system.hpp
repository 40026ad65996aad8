#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_cell.hpp"
#include "jaegis/framework/actor_table.hpp"
#include "jaegis/framework/ref.hpp"
#include "jaegis/framework/registry.hpp"
#include "jaegis/framework/timer_service.hpp"
#include "jaegis/schedulers/executor.hpp"

namespace jaegis {

class registry;

/// How to build an actor system. Every field has a default; from_env() overlays the environment.
struct actor_system_config {
  /// Workers, executor kind, pinning, topology override (see schedulers/executor.hpp).
  sched::executor_config executor;
  /// User messages an actor handles per run before it yields its worker. Small values share a
  /// worker fairly between busy actors; large ones save scheduling round trips. 128 costs one
  /// requeue per 128 messages (under 1 % of a message's cost) and bounds a busy actor's turn to
  /// a few microseconds.
  std::uint32_t throughput = 128;
  /// Distinct names the registry can hold (see registry.hpp).
  std::size_t registry_names = 4096;
  /// Resolution of delayed sends and request timeouts.
  std::chrono::nanoseconds timer_tick = std::chrono::milliseconds(1);
  /// Where warnings go (an unhandled message type, a failed actor). Default: stderr.
  std::function<void(std::string_view)> log;

  /// Reads JAEGIS_THROUGHPUT and everything executor_config::from_env reads. Throws
  /// std::invalid_argument on a bad value.
  static actor_system_config from_env(actor_system_config defaults);
  static actor_system_config from_env();
};

/// Owns the executor, the actor table, the registry and the timers. Spawns actors.
///
/// Shutdown (the destructor, or shutdown()): every actor still running is stopped with reason
/// user_shutdown, the system waits until all have stopped and every message in flight has been
/// dropped or answered, then stops the executor. Refs held outside actors must be dropped before
/// the system is destroyed.
class actor_system {
 public:
  explicit actor_system(actor_system_config config);
  actor_system();
  ~actor_system();
  actor_system(const actor_system&) = delete;
  actor_system& operator=(const actor_system&) = delete;

  /// Creates an actor of class A (constructed with `args`) in the calling thread's pool (on the
  /// spawning worker's NUMA node) and schedules its start. Returns a counted typed reference.
  template <class A, class... Args>
  ref<A> spawn(Args&&... args) {
    return spawn_on<A>(*executor_, false, std::forward<Args>(args)...);
  }

  /// Like spawn, but the actor gets a thread of its own, so its handlers may block (I/O, locks,
  /// foreign APIs) without holding up the workers.
  template <class A, class... Args>
  ref<A> spawn_detached(Args&&... args);

  /// Blocks until every actor has stopped.
  void await_all_actors_done();
  /// Stops every actor (reason user_shutdown), waits for them, stops the executor. Idempotent.
  void shutdown();

  /// Actors spawned and not yet stopped.
  std::size_t running_actors() const noexcept;
  /// Control blocks not yet freed (stopped actors still referenced count here).
  std::size_t live_cells() const noexcept;
  /// Messages that reached an actor whose handlers do not accept them.
  std::uint64_t unhandled_messages() const noexcept;

  const actor_system_config& config() const noexcept { return config_; }
  sched::executor& executor() noexcept { return *executor_; }
  jaegis::registry& registry() noexcept { return *registry_; }
  timers::timer_service& timers() noexcept { return *timers_; }
  void log(std::string_view line) const;

  // For the runtime (actor_cell, actor_base, registry): not part of the user API.
  detail::actor_table& table() noexcept { return table_; }
  void on_terminated(detail::actor_cell& cell) noexcept;
  void on_freed(sched::executor* detached_home) noexcept;
  void on_unhandled(type_id_t type) noexcept;

 private:
  template <class A, class... Args>
  ref<A> spawn_on(sched::executor& home, bool detached, Args&&... args);

  detail::actor_cell* new_cell(std::size_t object_size, sched::executor& home, bool detached);
  /// False (nothing done) if the object's actor_base lies too far into it to record.
  bool launch(detail::actor_cell* cell, actor_base* object, type_id_t type) noexcept;
  void abandon(detail::actor_cell* cell) noexcept;
  void actor_table_release_and_free(detail::actor_slot* slot, actor_id id) noexcept;
  sched::executor& new_detached_executor();

  actor_system_config config_;
  detail::actor_table table_;
  std::unique_ptr<sched::executor> executor_;
  std::unique_ptr<timers::timer_service> timers_;
  std::unique_ptr<jaegis::registry> registry_;
  /// Actors running (high half) and cells not yet freed (low half), in one word so that a spawn
  /// counts both with one RMW.
  alignas(64) std::atomic<std::uint64_t> counts_{0};
  static constexpr std::uint64_t one_cell = 1;
  static constexpr std::uint64_t one_running = std::uint64_t{1} << 32;
  static constexpr std::uint64_t cell_mask = one_running - 1;
  static constexpr std::uint64_t running_mask = ~cell_mask;
  std::atomic<std::uint64_t> unhandled_{0};
  mutable std::mutex rare_mutex_;  ///< detached executors and the unhandled-type log: rare paths
  std::vector<std::unique_ptr<sched::executor>> detached_;
  std::vector<type_id_t> logged_unhandled_;
  bool shut_down_ = false;

  friend class detail::actor_cell;
};

namespace detail {
/// The cell whose actor object is being constructed on this thread (read by actor_base()).
actor_cell*& constructing_cell() noexcept;
/// Where the actor object lives in the cell's block.
void* object_storage(actor_cell* cell) noexcept;
}  // namespace detail

template <class A, class... Args>
ref<A> actor_system::spawn_on(sched::executor& home, bool detached, Args&&... args) {
  static_assert(std::is_base_of_v<actor_base, A>,
                "jaegis: spawn<A> needs A to derive from "
                "jaegis::actor<A, Messages...>");
  static_assert(alignof(A) <= alignof(std::max_align_t),
                "jaegis: actor classes may not be over-aligned");
  detail::actor_cell* cell = new_cell(sizeof(A), home, detached);
  detail::actor_cell* outer = std::exchange(detail::constructing_cell(), cell);
  A* object = nullptr;
  try {
    object = ::new (detail::object_storage(cell)) A(std::forward<Args>(args)...);
  } catch (...) {
    detail::constructing_cell() = outer;
    abandon(cell);
    throw;
  }
  detail::constructing_cell() = outer;
  if (!launch(cell, object, type_id<A>())) {
    object->~A();
    abandon(cell);
    throw std::length_error("jaegis: spawn: the actor_base lies more than 64 KiB into the object");
  }
  return ref<A>::adopt(cell);
}

template <class A, class... Args>
ref<A> actor_system::spawn_detached(Args&&... args) {
  return spawn_on<A>(new_detached_executor(), true, std::forward<Args>(args)...);
}

}  // namespace jaegis
