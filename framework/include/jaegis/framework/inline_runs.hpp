#pragma once

#include <array>
#include <cstddef>

namespace jaegis {
class actor_system;
}

namespace jaegis::detail {

class actor_cell;

/// Lets a thread that hands messages to actors from outside the executor (a carrier's I/O thread
/// delivering what it read) run those actors itself when every worker sleeps, instead of waking
/// one: the wake-up (a futex call, then a context switch) is most of a remote round trip's cost
/// on an idle system, and a sleeping executor has nothing better for the actor to wait for.
///
/// While an inline_runs exists on a thread, an actor of `system` that becomes runnable there is
/// kept here if all of its executor's workers are parked (a snapshot: a worker that is awake or
/// spinning gets the actor as usual); the destructor runs the kept actors, each for one run (its
/// throughput budget), oldest first, including those their messages make runnable, up to a
/// bound; an actor with more to do, and everything past the bound, goes to the executor. Only
/// actors on the shared executor: detached ones keep their thread. So a handler may run on that
/// thread: like every handler, it must not block.
class inline_runs {
 public:
  explicit inline_runs(actor_system& system) noexcept;
  ~inline_runs();
  inline_runs(const inline_runs&) = delete;
  inline_runs& operator=(const inline_runs&) = delete;

  /// The actor_cell's scheduling hook: true if this thread's inline_runs took `cell`.
  static bool take(actor_cell& cell) noexcept;

 private:
  static constexpr std::size_t capacity = 16;  ///< kept at once
  static constexpr std::size_t max_runs =
      64;  ///< per inline_runs: the I/O thread's time is bounded

  bool keep(actor_cell& cell) noexcept;
  void run_kept() noexcept;

  actor_system& system_;
  inline_runs* previous_;
  std::array<actor_cell*, capacity> kept_{};
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t runs_ = 0;
};

}  // namespace jaegis::detail
