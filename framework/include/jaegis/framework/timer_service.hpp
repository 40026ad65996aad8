#pragma once

// The timer thread: one thread drives a timer_wheel off std::chrono::steady_clock, and any thread
// may schedule and cancel timers. This is what delayed sends, periodic sends and request timeouts
// are built on.
//
// Nodes. A timer is a timer_node (64 bytes, one cache line), allocated by its owner, usually as the
// base of a larger object (a delayed envelope, a request record). It carries two callbacks:
//   fire(node)     runs on the timer thread when the timer is due; it should be short (enqueue a
//                  message, schedule an actor), since every other timer waits behind it;
//   release(node)  runs once, when the last reference to the node is dropped, on whichever thread
//                  dropped it (the timer thread, a canceller, stop(), or the owner of a handle).
//                  It may free the node. nullptr means "nothing to do".
//
// References and handles (the rule that keeps a cancel handle from dangling). A scheduled node
// holds one reference for the service; schedule_cancellable() adds one more, owned by the returned
// timer_handle. The service drops its reference when it is done with the node: after a one-shot
// fired, or once a cancelled timer is out of the wheel, or at stop(). The handle drops its own when
// it is destroyed or reset. release() runs when both are gone, so cancel() through a handle is safe
// at any time, even long after the timer fired. A bare timer_node* may be passed to cancel() only
// while the caller holds a reference to it (in practice: through a handle).
//
// States (one atomic word per node; the CAS that leaves `armed` decides every race):
//
//   idle --schedule--> queued --timer thread--> armed --due, one-shot--> fired
//                        |                        |  \--due, periodic--> firing --> armed (again)
//                        +------cancel()----------+-----cancel()-----------+--> cancelled
//
// A one-shot timer fires exactly once or not at all: cancel() returns true iff its CAS moved the
// node to `cancelled` before the timer thread's CAS moved it to `fired`; if it returns true, fire
// never runs. For a periodic timer, cancel() returning true means no fire *starts* after it returns
// (one already running on the timer thread finishes); cancelling from inside its own fire() stops
// it.
//
// Commands. schedule() pushes the node onto a lock-free inbox: an intrusive Treiber stack that the
// timer thread empties with one exchange and reverses, so that timers scheduled by one thread for
// the same tick fire in the order they were scheduled. cancel() only flips the state with a CAS; a
// node cancelled while `armed` is pushed onto the same inbox so the timer thread unlinks it and
// drops its reference (one link suffices: a node is in the inbox at most once, since it leaves for
// `armed` before a cancel can push it). No mutex anywhere on these paths.
//
// Sleeping and waking. The timer thread sleeps on a futex with an absolute CLOCK_MONOTONIC timeout
// (the clock of steady_clock) at the wheel's next deadline, or without timeout when it has no
// timer: an idle service burns no CPU and never polls. Before sleeping it publishes its target tick
// and re-checks the inbox; schedule() pushes, then reads the target (both seq_cst: a Dekker pair,
// so either the thread sees the push or the pusher sees the target). A pusher makes the wake-up
// syscall only if its deadline is earlier than the target, and only the one whose CAS swaps the
// target for `awake` does. A later deadline leaves its node in the inbox until the thread's next
// round, which comes by the target at the latest, so before that deadline. Cancels never need the
// thread promptly (a cancelled timer cannot fire), so they wake it only every `cancel_batch`
// cancels: that bounds the cancelled timers waiting for reclamation (about cancel_batch of them,
// queued or armed) with one syscall per batch rather than one per cancel.
//
// Time. Ticks count from the service's start; a deadline is rounded up to a tick and the wheel is
// advanced to the current tick rounded down, so a timer never fires before its deadline. A periodic
// timer fires at due + k * period (fixed rate, no drift); if the thread falls behind by whole
// periods, the missed fires are skipped rather than bunched.
//
// Shutdown (stop(), also run by the destructor):
//   1. set the stop flag and wake the thread; it finishes its current round (fire what is due);
//   2. it unlinks every node of the wheel and cancels each still `armed` (dropping the service's
//      reference); one already cancelled is left to the inbox step or to its canceller;
//   3. it swaps the inbox for a `closed` mark, taking the last commands: queued nodes are
//      cancelled, cancelled ones dropped. A schedule() that finds the inbox closed cancels its
//      node and returns false; a cancel() that finds it closed drops the service's reference
//      itself (its node is already out of the wheel, step 2). Nothing leaks, and nothing fires
//      after stop() returns.
//   stop() returns the number of pending timers it cancelled. It must not be called from fire().
//
// Namespace jaegis::timers: the timer machinery is a self-contained part of the framework layer;
// the actor API exposes it as delayed and periodic sends and request timeouts.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <jaegis/framework/timer_wheel.hpp>
#include <jaegis/schedulers/cache_line.hpp>
#include <thread>

namespace jaegis::timers {

class timer_service;
class timer_handle;

/// A timer, owned by its creator, usually as the base of a larger object. Reusable once released
/// (construct it again).
class timer_node : public wheel_node {
 public:
  using fire_fn = void (*)(timer_node*) noexcept;
  using release_fn = void (*)(timer_node*) noexcept;

  timer_node(fire_fn fire, release_fn release) noexcept : fire_(fire), release_(release) {}

  /// Ticks between fires; 0 for a one-shot timer. Set by schedule().
  std::uint64_t period_ticks() const noexcept { return period_; }

 private:
  friend class timer_service;
  friend class timer_handle;

  enum state : std::uint32_t { idle, queued, armed, firing, fired, cancelled };

  void unref() noexcept;

  timer_node* inbox_next_ = nullptr;  // written by the pusher, read by the timer thread after it
                                      // takes the inbox (the push's release / take's acquire)
  fire_fn fire_;
  release_fn release_;
  std::uint64_t period_ = 0;
  std::atomic<std::uint32_t> state_{idle};
  std::atomic<std::uint32_t> refs_{0};
};

/// An owning reference to a scheduled timer, for cancelling it. Move-only. Dropping it never
/// cancels the timer. cancel() must not be called once the service is destroyed.
class timer_handle {
 public:
  timer_handle() noexcept = default;
  timer_handle(timer_handle&& other) noexcept : service_(other.service_), node_(other.node_) {
    other.node_ = nullptr;
  }
  timer_handle& operator=(timer_handle&& other) noexcept;
  timer_handle(const timer_handle&) = delete;
  timer_handle& operator=(const timer_handle&) = delete;
  ~timer_handle() { reset(); }

  /// See timer_service::cancel(). False on an empty handle.
  bool cancel() noexcept;
  /// Drops the reference (the timer keeps running).
  void reset() noexcept;

  timer_node* get() const noexcept { return node_; }
  explicit operator bool() const noexcept { return node_ != nullptr; }

 private:
  friend class timer_service;
  timer_handle(timer_service* service, timer_node* node) noexcept
      : service_(service), node_(node) {}

  timer_service* service_ = nullptr;
  timer_node* node_ = nullptr;
};

class timer_service {
 public:
  using clock = std::chrono::steady_clock;

  struct config {
    /// Resolution of the wheel. 1 ms: timeouts and delays in an actor system are milliseconds or
    /// more, and a coarser tick means fewer wake-ups and cascades.
    std::chrono::nanoseconds tick = std::chrono::milliseconds(1);
    /// Wake the timer thread to reclaim cancelled timers after this many cancels. 1024 keeps the
    /// memory waiting for reclamation under 64 KiB of nodes while cutting the wake-ups (and the
    /// canceller's syscall) to one per 1024 cancels.
    std::uint32_t cancel_batch = 1024;
  };

  struct stats_t {
    std::uint64_t pending = 0;    ///< nodes in the wheel, as of the thread's last round (a node
                                  ///< scheduled since then may still wait in the inbox)
    std::uint64_t fired = 0;      ///< fire() calls
    std::uint64_t cancelled = 0;  ///< timers cancelled (by cancel() or stop()) and reclaimed
    std::uint64_t wakeups = 0;    ///< times the thread returned from a sleep
  };

  /// Starts the timer thread (throws std::system_error if it cannot).
  timer_service() : timer_service(config{}) {}
  explicit timer_service(config cfg);
  timer_service(const timer_service&) = delete;
  timer_service& operator=(const timer_service&) = delete;
  ~timer_service();

  /// Schedules `n` (idle: fresh or re-constructed) to fire at `due`, then every `period` if period
  /// is positive (rounded up to a whole tick). Takes over the creator's reference: the caller must
  /// not touch `n` afterwards. Returns false if the service is stopped; then `n` is released
  /// (release() runs on this thread) without firing.
  bool schedule(timer_node* n, clock::time_point due,
                std::chrono::nanoseconds period = std::chrono::nanoseconds::zero()) noexcept;

  /// As schedule(), and returns a handle holding a second reference, for cancel(). If the service
  /// is stopped the timer is cancelled at once and the handle's cancel() returns false.
  timer_handle schedule_cancellable(
      timer_node* n, clock::time_point due,
      std::chrono::nanoseconds period = std::chrono::nanoseconds::zero()) noexcept;

  /// Cancels `n`. True iff this call stopped it: a one-shot then never fires, a periodic starts no
  /// further fire. False if it already fired (one-shot), was cancelled, or was never scheduled.
  /// The caller must hold a reference to `n` (a handle). O(1): one CAS and a counter increment,
  /// plus one push for a timer already in the wheel. Lock-free; wakes the timer thread once per
  /// cancel_batch cancels.
  bool cancel(timer_node* n) noexcept;

  /// Stops the thread and releases every timer still pending without firing it; returns how many
  /// were pending. Idempotent (later calls return 0). Not from a fire() callback; not concurrently
  /// with another stop().
  std::size_t stop() noexcept;

  stats_t stats() const noexcept;
  std::chrono::nanoseconds tick() const noexcept { return std::chrono::nanoseconds(tick_ns_); }

 private:
  static constexpr std::uint64_t awake = 0;  // sleep_target_ while the thread is not asleep

  static timer_node* closed() noexcept;
  bool enqueue(timer_node* n, clock::time_point due, std::chrono::nanoseconds period,
               std::uint32_t refs) noexcept;
  bool push(timer_node* n) noexcept;
  void maybe_wake(std::uint64_t deadline) noexcept;
  void count_cancel() noexcept;
  void wake() noexcept;
  std::uint64_t tick_of(clock::time_point t) const noexcept;
  std::uint64_t now_tick() const noexcept;

  void run() noexcept;
  void take_inbox() noexcept;
  void on_expired(wheel_node* w) noexcept;
  void sleep_until(std::uint64_t target) noexcept;
  std::size_t shutdown() noexcept;
  void publish_stats() noexcept;

  const std::int64_t tick_ns_;
  const std::int64_t epoch_ns_;  // steady_clock time of tick 0
  const std::uint32_t cancel_batch_;

  // Written by every scheduler and canceller: one line, so a push and the reads that follow it
  // cost one cache miss.
  alignas(sched::cache_line_size) std::atomic<timer_node*> inbox_{nullptr};
  std::atomic<std::uint64_t> sleep_target_{awake};
  std::atomic<std::uint32_t> pending_cancels_{0};
  std::atomic<std::uint32_t> wake_epoch_{0};  // the futex word

  alignas(sched::cache_line_size) std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> stat_pending_{0};
  std::atomic<std::uint64_t> stat_fired_{0};
  std::atomic<std::uint64_t> stat_cancelled_{0};
  std::atomic<std::uint64_t> stat_wakeups_{0};

  // Timer thread only.
  std::uint64_t advance_now_ = 0;
  std::uint64_t fired_ = 0;
  std::uint64_t cancelled_ = 0;
  std::uint64_t wakeups_ = 0;
  std::size_t stopped_pending_ = 0;
  timer_wheel wheel_;

  std::thread thread_;
  bool joined_ = false;
};

}  // namespace jaegis::timers
