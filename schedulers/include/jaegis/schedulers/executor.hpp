#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jaegis/schedulers/runnable.hpp"
#include "jaegis/schedulers/worker_counters.hpp"

namespace jaegis::sched {

enum class executor_kind : unsigned char {
  work_stealing,  ///< the default: per-worker deques, LIFO slot, stealing, parking
  sharing,        ///< one global queue shared by all workers; a baseline for comparison
  deterministic,  ///< one thread driven by the caller, in a seeded order; for protocol tests
};

/// How to build an executor. Every field has a sensible default.
struct executor_config {
  executor_kind kind = executor_kind::work_stealing;
  /// Worker threads; 0 means one per cpu of the topology.
  std::size_t workers = 0;
  /// Pin each worker to its cpu. Unset: pin when every worker gets a real cpu of its own.
  std::optional<bool> pin;
  /// Topology override ("2x1" = 2 nodes of 1 cpu); empty: JAEGIS_TOPOLOGY, else libnuma.
  std::string topology;
  /// Capacity of each worker's deque (rounded up to a power of two); overflow goes global.
  std::size_t deque_capacity = 4096;
  /// Consecutive runs from the LIFO slot before the worker turns to its queue. A ping-pong pair
  /// keeps refilling the slot; the cap bounds how long it can keep the queue waiting. 16 keeps a
  /// pair hot for 16 hops and costs one deque round trip per 16 (retune with bench/ pingpong).
  unsigned lifo_cap = 16;
  /// Every this many runs a worker checks the global queue before its own, so that submissions
  /// from outside cannot starve behind local work. Prime, as Go's 61, to avoid lockstep cycles.
  unsigned global_queue_interval = 61;
  /// Search rounds a worker spins before it parks: each scans every queue once, then pauses
  /// briefly (~150 ns). 128 rounds spin for some 20-40 us: long enough to catch the next message of
  /// a conversation without a futex round trip, short enough that an idle executor sleeps at once
  /// in human terms. Spinning buys wake-up latency with cpu.
  unsigned spin_rounds = 128;
  /// Seed for the deterministic executor's order and the workers' victim choice.
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;

  /// Reads JAEGIS_WORKERS, JAEGIS_EXECUTOR (work-stealing|sharing|deterministic), JAEGIS_PIN
  /// (0|1), JAEGIS_TOPOLOGY over the given defaults. Throws std::invalid_argument on bad values.
  static executor_config from_env(executor_config defaults);
  static executor_config from_env();
};

/// Runs runnables on worker threads. Knows nothing of what a runnable is.
class executor {
 public:
  virtual ~executor() = default;

  /// Makes `r` runnable. From one of this executor's workers it goes to that worker (the LIFO
  /// slot, so a reply runs next while its data is in cache); from any other thread it goes to the
  /// global injection queue. Never blocks, never fails.
  virtual void schedule(runnable& r) noexcept = 0;

  /// Stops the workers and joins them. Runnables still queued are not run; the caller (the actor
  /// system) drains its work before it stops the executor. Idempotent.
  virtual void stop() noexcept = 0;

  /// After stop(): runs every runnable still queued on the calling thread, and whatever those
  /// schedule meanwhile, until none is left. The actor system calls it at shutdown, once every
  /// actor has stopped, so that the last messages in flight are dropped or answered, not leaked.
  virtual void drain() noexcept = 0;

  virtual std::size_t worker_count() const noexcept = 0;
  /// A snapshot of every worker's counters, indexed by worker.
  virtual std::vector<worker_counters> counters() const = 0;
  /// Workers asleep right now (a snapshot).
  virtual std::size_t sleeping_workers() const noexcept = 0;
  /// The index of the calling worker of this executor, or -1 on any other thread.
  virtual int current_worker() const noexcept = 0;
};

/// Builds the executor the config names and starts its workers (none for deterministic).
std::unique_ptr<executor> make_executor(const executor_config& config);

}  // namespace jaegis::sched
