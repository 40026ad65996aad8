// jaegis-microbench: the scheduler layer measured alone, beside the hardware floor.
//
// Workloads (bench/README.md says what each one means and how to read it):
//   floor           two threads bouncing an atomic: the least a cross-thread round trip costs
//   deque           chase_lev_deque: owner push+pop, owner push + self-steal, owner vs thieves
//   spawn           10^7 runnables, submitted from outside and fanned out as a tree, on the
//                   work-stealing and the sharing executor
//   pingpong-local  two runnables scheduling each other on one work-stealing executor
//   pingpong-cross  the same across two single-worker executors, so every hop changes thread
//
// Everything a timed loop touches is allocated before it starts; runnables are intrusive and are
// reused from round to round once the previous round has finished with them.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "floor.hpp"
#include "harness.hpp"
#include "jaegis/schedulers/chase_lev_deque.hpp"
#include "jaegis/schedulers/executor.hpp"
#include "jaegis/schedulers/runnable.hpp"
#include "stats.hpp"
#include "wait.hpp"

namespace jaegis::bench {
namespace {

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// Round trips not measured before a latency measurement: enough for every thread to be awake,
/// pinned and warm (a few ms), few enough not to matter to the run time.
constexpr std::uint64_t latency_warmup = 10'000;

/// Where the two threads of a latency pair run: the first two cpus this process may use, so that
/// the floor and the cross-thread ping-pong cross the same pair of cores.
struct cpu_pair {
  int first = -1;
  int second = -1;
  bool own_cores = false;
};

cpu_pair pick_cpu_pair(const options& opt) {
  const std::vector<int> cpus = allowed_cpus();
  cpu_pair p;
  p.own_cores = cpus.size() >= 2;
  if (opt.pin && p.own_cores) {
    p.first = cpus[0];
    p.second = cpus[1];
  }
  return p;
}

std::string describe(const cpu_pair& p) {
  if (p.first < 0) return p.own_cores ? "unpinned" : "unpinned, one cpu (spins yield)";
  return "cpus " + std::to_string(p.first) + " and " + std::to_string(p.second);
}

/// Every latency measurement is two passes: one that timestamps each round trip (the
/// percentiles, each sample including one clock read) and one that reads the clock only at the
/// start and the end (the mean, free of clock cost).
void report_percentiles(context& ctx, std::string_view impl, std::vector<std::uint64_t>& samples) {
  const double k = sample_clock::ns_per_tick();
  const latency_summary l = summarize_latency(samples);
  ctx.report(impl, "rtt_p50", "ns", l.p50 * k);
  ctx.report(impl, "rtt_p99", "ns", l.p99 * k);
  ctx.report(impl, "rtt_p99.9", "ns", l.p999 * k);
  ctx.report(impl, "rtt_max", "ns", l.max * k);
}

double mean_ns(std::uint64_t span_ticks, std::uint64_t round_trips) {
  return sample_clock::to_ns(span_ticks) / static_cast<double>(round_trips);
}

/// One round of the floor, reported under impl "floor" in the calling workload, so that every
/// latency table carries its own floor, measured in the same run just before each figure.
void floor_round(context& ctx, const cpu_pair& cpus, std::uint64_t round_trips,
                 std::vector<std::uint64_t>& samples) {
  floor_setup setup;
  setup.round_trips = round_trips;
  setup.initiator_cpu = cpus.first;
  setup.responder_cpu = cpus.second;
  setup.own_cores = cpus.own_cores;
  measure_floor(setup, &samples);
  report_percentiles(ctx, "floor", samples);
  ctx.report("floor", "rtt_mean", "ns", mean_ns(measure_floor(setup, nullptr), round_trips));
}

sched::worker_counters sum(const std::vector<sched::worker_counters>& all) {
  sched::worker_counters s;
  for (const sched::worker_counters& c : all) {
    s.runs += c.runs;
    s.lifo_runs += c.lifo_runs;
    s.steals += c.steals;
    s.steal_attempts += c.steal_attempts;
    s.global_pulls += c.global_pulls;
    s.parks += c.parks;
    s.wakeups += c.wakeups;
    s.spins += c.spins;
  }
  return s;
}

/// The executor's counters over one measurement: what the workers did, to explain a figure.
std::string counters_delta(std::string_view label, const sched::worker_counters& before,
                           const sched::worker_counters& after) {
  char line[320];
  std::snprintf(line, sizeof line,
                "%.*s counters, last round: runs %llu, lifo %llu, steals %llu (attempts %llu), "
                "global %llu, parks %llu, wake-ups %llu, spins %llu",
                static_cast<int>(label.size()), label.data(),
                static_cast<unsigned long long>(after.runs - before.runs),
                static_cast<unsigned long long>(after.lifo_runs - before.lifo_runs),
                static_cast<unsigned long long>(after.steals - before.steals),
                static_cast<unsigned long long>(after.steal_attempts - before.steal_attempts),
                static_cast<unsigned long long>(after.global_pulls - before.global_pulls),
                static_cast<unsigned long long>(after.parks - before.parks),
                static_cast<unsigned long long>(after.wakeups - before.wakeups),
                static_cast<unsigned long long>(after.spins - before.spins));
  return line;
}

std::unique_ptr<sched::executor> make(sched::executor_kind kind, std::size_t workers,
                                      std::optional<bool> pin = std::nullopt) {
  sched::executor_config config;
  config.kind = kind;
  config.workers = workers;
  config.pin = pin;
  return sched::make_executor(config);
}

// ---------------------------------------------------------------------------------------------
// floor

void run_floor(context& ctx) {
  const cpu_pair cpus = pick_cpu_pair(ctx.opt());
  const std::uint64_t round_trips = ctx.size(1'000'000, 100'000);
  // The cost of one clock read, which every sampled round trip here includes once.
  const std::uint64_t reads = ctx.size(10'000'000, 1'000'000);
  std::vector<std::uint64_t> samples;
  for (unsigned r = 0; r < ctx.rounds(); ++r) {
    floor_round(ctx, cpus, round_trips, samples);
    std::uint64_t sink = 0;
    const std::uint64_t t0 = now_ns();
    for (std::uint64_t i = 0; i < reads; ++i) {
      sink += sample_clock::now();
    }
    const std::uint64_t t1 = now_ns();
    // sink: keeps the reads from being dropped; it is never 0, so it adds nothing.
    ctx.report("clock", "sample_read", "ns",
               static_cast<double>(t1 - t0) / static_cast<double>(reads) + (sink == 0 ? 1 : 0));
  }
  ctx.note(std::to_string(round_trips) + " round trips per round, " + describe(cpus) +
           "; each sampled round trip includes one sample clock read (clock/sample_read)");
}

// ---------------------------------------------------------------------------------------------
// deque

using deque_item = std::uint64_t;
using deque = sched::chase_lev_deque<deque_item>;

/// Items the owner pushes before it takes them back: under the capacity, so that push never
/// fails, and 2 KiB of slots, so that the loop measures the deque and not the cache.
constexpr std::size_t owner_batch = 256;

[[noreturn]] void deque_failure(const char* what) {
  std::fprintf(stderr, "DEQUE BUG: %s\n", what);
  std::_Exit(4);
}

/// Owner pushes a batch, then takes it back with `take` (pop: LIFO, steal: FIFO). ns per op,
/// where a push and a take are one op each.
template <class Take>
double owner_round(deque& d, std::vector<deque_item>& items, std::uint64_t ops, Take take) {
  const std::uint64_t batches = ops / (2 * owner_batch);
  std::uint64_t taken = 0;
  const std::uint64_t t0 = now_ns();
  for (std::uint64_t b = 0; b < batches; ++b) {
    for (std::size_t k = 0; k < owner_batch; ++k) {
      if (!d.push(&items[k])) deque_failure("push refused below capacity");
    }
    for (std::size_t k = 0; k < owner_batch; ++k) {
      taken += take(d) != nullptr ? 1 : 0;
    }
  }
  const std::uint64_t t1 = now_ns();
  if (taken != batches * owner_batch) deque_failure("owner took back fewer items than it pushed");
  return static_cast<double>(t1 - t0) / static_cast<double>(batches * 2 * owner_batch);
}

/// Pauses the owner waits when the deque is full before it tries again: ~1.2 us where a pause
/// takes ~38 ns (the reference machine), room for dozens of steals of ~20 ns each.
constexpr int full_backoff = 32;

struct steal_round {
  double items_per_s = 0;
  std::uint64_t contended = 0;   ///< steals that lost a race
  std::uint64_t owner_full = 0;  ///< pushes refused because the deque was full
};

/// One owner pushes `count` items as fast as it can (retrying when the deque is full) while
/// `thieves` threads steal them. The span runs from the first push to the last thief seeing the
/// deque empty after the owner finished; every item must be taken exactly once.
steal_round owner_and_thieves(std::uint64_t count, std::size_t thieves, std::size_t capacity,
                              bool pin) {
  const std::vector<int> cpus = allowed_cpus();
  const bool own_cores = thieves + 1 <= cpus.size();
  auto relax = [own_cores] {
    if (own_cores) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  };
  deque d(capacity);
  std::vector<deque_item> values(count);
  std::iota(values.begin(), values.end(), deque_item{0});

  struct alignas(64) thief_tally {
    std::uint64_t taken = 0, sum = 0, contended = 0, end_ns = 0;
  };
  std::vector<thief_tally> tallies(thieves);
  std::atomic<std::size_t> ready{0};
  std::atomic<bool> owner_done{false};
  std::uint64_t start_ns = 0;
  std::uint64_t owner_full = 0;

  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < thieves; ++t) {
    threads.emplace_back([&, t] {
      if (pin) pin_this_thread(cpus[(t + 1) % cpus.size()]);
      thief_tally tally;
      // relaxed: a start count only; the deque's own orders publish the items.
      ready.fetch_add(1, std::memory_order_relaxed);
      for (;;) {
        // acquire: pairs with the owner's release store, so that a steal after it sees the final
        // bottom; empty then means every item is gone.
        const bool finished = owner_done.load(std::memory_order_acquire);
        const deque::steal_result r = d.steal();
        if (r.item != nullptr) {
          ++tally.taken;
          tally.sum += *r.item;
        } else if (r.contended) {
          ++tally.contended;
        } else if (finished) {
          break;
        } else {
          relax();
        }
      }
      tally.end_ns = now_ns();
      tallies[t] = tally;
    });
  }
  threads.emplace_back([&] {
    if (pin) pin_this_thread(cpus[0]);
    // relaxed: a start gate only (thieves spinning on an empty deque before the start is fine).
    while (ready.load(std::memory_order_relaxed) < thieves) {
      std::this_thread::yield();
    }
    start_ns = now_ns();
    for (std::uint64_t i = 0; i < count; ++i) {
      while (!d.push(&values[i])) {
        ++owner_full;
        // Back off before retrying: every retry reads top, pulling its line away from the thief
        // whose next CAS must then fetch it back, so a tight retry loop would slow the thieves it
        // waits for.
        for (int spin = 0; spin < full_backoff; ++spin) {
          relax();
        }
      }
    }
    // release: pairs with the thieves' acquire load; every push precedes it.
    owner_done.store(true, std::memory_order_release);
  });
  for (std::thread& t : threads) {
    t.join();
  }

  steal_round result;
  std::uint64_t taken = 0, sum = 0, end_ns = 0;
  for (const thief_tally& t : tallies) {
    taken += t.taken;
    sum += t.sum;
    result.contended += t.contended;
    end_ns = std::max(end_ns, t.end_ns);
  }
  if (taken != count || sum != count * (count - 1) / 2) {
    deque_failure("thieves did not take every item exactly once");
  }
  result.items_per_s = static_cast<double>(count) * 1e9 / static_cast<double>(end_ns - start_ns);
  result.owner_full = owner_full;
  return result;
}

void run_deque(context& ctx) {
  // The executor's deque capacity, so that "full" here means what it means to a worker.
  const std::size_t capacity = sched::executor_config{}.deque_capacity;
  const std::uint64_t ops = ctx.size(10'000'000, 1'000'000);
  const std::uint64_t items = ctx.size(10'000'000, 1'000'000);
  // One owner and the rest of the workers as thieves, as in an executor where one worker fans out.
  const std::size_t thieves = std::max<std::size_t>(1, ctx.workers() - 1);
  const std::string steal_metric = "owner_" + std::to_string(thieves) + "_thieves";

  deque d(capacity);
  std::vector<deque_item> batch(owner_batch);
  steal_round last;
  for (unsigned r = 0; r < ctx.rounds(); ++r) {
    ctx.report("chase_lev", "push_pop", "ns/op",
               owner_round(d, batch, ops, [](deque& q) { return q.pop(); }));
    ctx.report("chase_lev", "push_steal_fifo", "ns/op",
               owner_round(d, batch, ops, [](deque& q) { return q.steal().item; }));
    last = owner_and_thieves(items, thieves, capacity, ctx.opt().pin);
    ctx.report("chase_lev", steal_metric, "items/s", last.items_per_s);
  }
  ctx.note("capacity " + std::to_string(capacity) + ", owner batch " + std::to_string(owner_batch) +
           ", " + std::to_string(ops) + " ops; " + std::to_string(items) +
           " items stolen, every one checked taken exactly once");
  ctx.note("last round: " + std::to_string(last.contended) + " contended steals, " +
           std::to_string(last.owner_full) + " pushes refused (deque full)");
}

// ---------------------------------------------------------------------------------------------
// spawn

/// Per-worker run counts on separate lines, so that counting costs the runnable one uncontended
/// store and the figure measures the executor, not a shared counter bouncing between cores.
class run_counts {
 public:
  explicit run_counts(std::size_t workers)
      : slots_(workers + 1), counts_(std::make_unique<slot[]>(slots_)) {}

  void count(int worker) noexcept {
    if (worker < 0) {
      // Not a worker (no executor here runs a runnable elsewhere, but stay exact if one does).
      // release: as the store below; a read-modify-write because any thread may land here.
      counts_[slots_ - 1].value.fetch_add(1, std::memory_order_release);
      return;
    }
    std::atomic<std::uint64_t>& c = counts_[static_cast<std::size_t>(worker)].value;
    // relaxed load: only this worker writes its slot (reset() happens-before via schedule()).
    // release store: the waiter's acquire load of the total then sees this run finished with the
    // runnable before the next round reuses it.
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  std::uint64_t total() const noexcept {
    std::uint64_t t = 0;
    // acquire: pairs with count()'s release store.
    for (std::size_t i = 0; i < slots_; ++i) {
      t += counts_[i].value.load(std::memory_order_acquire);
    }
    return t;
  }

  /// Only while no runnable runs; the next schedule() publishes the zeros to the workers.
  void reset() noexcept {
    // relaxed: ordered before the workers' next loads by the schedule() that follows.
    for (std::size_t i = 0; i < slots_; ++i) {
      counts_[i].value.store(0, std::memory_order_relaxed);
    }
  }

 private:
  struct alignas(64) slot {
    std::atomic<std::uint64_t> value{0};
  };
  std::size_t slots_;
  std::unique_ptr<slot[]> counts_;
};

struct spawn_shared;

/// One runnable of the spawn workload: counts its run and, in the tree, schedules its children
/// (nodes 2i+1 and 2i+2 of a binary heap laid over the array). 16 bytes: 10^7 fit in 160 MB.
class spawn_node final : public sched::runnable {
 public:
  explicit spawn_node(spawn_shared* shared) noexcept : shared_(shared) {}
  sched::run_result run() noexcept override;

 private:
  spawn_shared* shared_;
};

struct spawn_shared {
  sched::executor* exec = nullptr;
  spawn_node* nodes = nullptr;
  std::uint64_t count = 0;
  bool fan_out = false;
  run_counts* counts = nullptr;
};

sched::run_result spawn_node::run() noexcept {
  spawn_shared& s = *shared_;
  if (s.fan_out) {
    const std::uint64_t i = static_cast<std::uint64_t>(this - s.nodes);
    if (2 * i + 1 < s.count) s.exec->schedule(s.nodes[2 * i + 1]);
    if (2 * i + 2 < s.count) s.exec->schedule(s.nodes[2 * i + 2]);
  }
  s.counts->count(s.exec->current_worker());
  return sched::run_result::done;
}

/// The waiter polls the run counts this often: the end of the span is late by at most about
/// this, 0.2 ms on a span of 0.1 s or more (0.2 %), while its wake-ups cost the workers < 1 %.
constexpr std::chrono::microseconds spawn_poll{200};

void run_spawn(context& ctx) {
  const std::uint64_t count = ctx.size(10'000'000, 1'000'000);
  std::vector<spawn_node> nodes;
  spawn_shared shared;
  nodes.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    nodes.emplace_back(&shared);
  }
  shared.nodes = nodes.data();
  shared.count = count;
  run_counts counts(ctx.workers());
  shared.counts = &counts;

  struct variant {
    const char* impl;
    std::unique_ptr<sched::executor> exec;
  };
  variant variants[] = {
      {"work_stealing", make(sched::executor_kind::work_stealing, ctx.workers())},
      {"sharing", make(sched::executor_kind::sharing, ctx.workers())},
  };
  std::vector<std::string> last_counters;
  for (unsigned r = 0; r < ctx.rounds(); ++r) {
    last_counters.clear();
    for (const bool fan_out : {false, true}) {
      for (variant& v : variants) {
        shared.exec = v.exec.get();
        shared.fan_out = fan_out;
        counts.reset();
        const sched::worker_counters before = sum(v.exec->counters());
        const std::uint64_t t0 = now_ns();
        if (fan_out) {
          v.exec->schedule(nodes[0]);
        } else {
          for (spawn_node& n : nodes) {
            v.exec->schedule(n);
          }
        }
        poll_until(
            "spawn", count, [&] { return counts.total(); }, spawn_poll);
        const std::uint64_t t1 = now_ns();
        if (counts.total() != count) {
          std::fprintf(stderr, "SCHEDULER BUG: spawn ran %llu runnables of %llu\n",
                       static_cast<unsigned long long>(counts.total()),
                       static_cast<unsigned long long>(count));
          std::_Exit(5);
        }
        ctx.report(v.impl, fan_out ? "fan_out" : "outside", "runnables/s",
                   static_cast<double>(count) * 1e9 / static_cast<double>(t1 - t0));
        last_counters.push_back(
            counters_delta(std::string(v.impl) + (fan_out ? " fan_out" : " outside"), before,
                           sum(v.exec->counters())));
      }
    }
  }
  for (variant& v : variants) {
    v.exec->stop();
  }
  ctx.note(std::to_string(count) +
           " runnables per figure, workers: " + std::to_string(ctx.workers()) +
           "; outside: one non-worker thread schedules each; fan_out: a binary tree rooted from "
           "outside, each node schedules its children from a worker");
  for (std::string& line : last_counters) {
    ctx.note(std::move(line));
  }
}

// ---------------------------------------------------------------------------------------------
// pingpong-local and pingpong-cross

class pong;

/// What a ping-pong measurement shares between its two runnables and the waiting main thread.
/// Only the ping side writes it (and ping never runs twice at once), so it needs no atomics but
/// the progress counter that the waiter reads to detect a stall.
struct pingpong_shared {
  sched::executor* ping_exec = nullptr;
  sched::executor* pong_exec = nullptr;
  std::uint64_t round_trips = 0;
  std::vector<std::uint64_t>* samples = nullptr;
  std::uint64_t start_tick = 0;
  std::uint64_t last_tick = 0;
  std::atomic<std::uint64_t> progress{0};
  completion finished;
};

/// Ping: every run ends a round trip and starts the next by scheduling pong.
class ping final : public sched::runnable {
 public:
  ping(pingpong_shared& shared, pong& peer) noexcept : shared_(shared), peer_(peer) {}
  void reset() noexcept { runs_ = 0; }
  sched::run_result run() noexcept override;

 private:
  pingpong_shared& shared_;
  pong& peer_;
  std::uint64_t runs_ = 0;
};

/// Pong: schedules ping back.
class pong final : public sched::runnable {
 public:
  explicit pong(pingpong_shared& shared) noexcept : shared_(shared) {}
  void set_peer(ping& peer) noexcept { peer_ = &peer; }
  sched::run_result run() noexcept override {
    // The last touch of *this: once ping may run, pong may be scheduled again.
    shared_.ping_exec->schedule(*peer_);
    return sched::run_result::done;
  }

 private:
  pingpong_shared& shared_;
  ping* peer_ = nullptr;
};

sched::run_result ping::run() noexcept {
  pingpong_shared& s = shared_;
  const std::uint64_t k = runs_++;
  if (k >= latency_warmup) {
    const std::uint64_t completed = k - latency_warmup;  // measured round trips behind us
    // Sampled: one clock read per round trip, chained, as the floor takes them. Else only the
    // first and the last.
    if (s.samples != nullptr || completed == 0 || completed == s.round_trips) {
      const std::uint64_t t = sample_clock::now();
      if (completed == 0) {
        s.start_tick = t;
      } else if (s.samples != nullptr) {
        (*s.samples)[completed - 1] = t - s.last_tick;
      }
      s.last_tick = t;
    }
    if (completed == s.round_trips) {
      s.finished.signal();
      return sched::run_result::done;
    }
  }
  // relaxed: read by the waiter only to see that the pair still moves.
  s.progress.store(k, std::memory_order_relaxed);
  // The last touch of *this: pong may schedule ping again as soon as it runs.
  s.pong_exec->schedule(peer_);
  return sched::run_result::done;
}

/// One ping-pong pass of `shared.round_trips` round trips after the warm-up, sampling each round
/// trip into `samples` if given. Returns the span in sample_clock ticks.
std::uint64_t pingpong_pass(pingpong_shared& shared, ping& p, std::vector<std::uint64_t>* samples,
                            const char* what) {
  if (samples != nullptr) samples->assign(shared.round_trips, 0);
  shared.samples = samples;
  shared.finished.reset();
  // relaxed: the schedule() below publishes it with everything else.
  shared.progress.store(0, std::memory_order_relaxed);
  p.reset();
  shared.ping_exec->schedule(p);
  // relaxed: a stall detector; the completion's mutex orders the results.
  shared.finished.wait(what, latency_warmup + shared.round_trips,
                       [&] { return shared.progress.load(std::memory_order_relaxed); });
  return shared.last_tick - shared.start_tick;
}

void run_pingpong_local(context& ctx) {
  const cpu_pair cpus = pick_cpu_pair(ctx.opt());
  const std::uint64_t round_trips = ctx.size(1'000'000, 100'000);
  auto exec = make(sched::executor_kind::work_stealing, ctx.workers());
  pingpong_shared shared;
  shared.ping_exec = shared.pong_exec = exec.get();
  shared.round_trips = round_trips;
  pong b(shared);
  ping a(shared, b);
  b.set_peer(a);

  std::vector<std::uint64_t> samples;
  std::string last_counters;
  for (unsigned r = 0; r < ctx.rounds(); ++r) {
    floor_round(ctx, cpus, round_trips, samples);
    const sched::worker_counters before = sum(exec->counters());
    pingpong_pass(shared, a, &samples, "pingpong-local");
    report_percentiles(ctx, "work_stealing", samples);
    const double mean = mean_ns(pingpong_pass(shared, a, nullptr, "pingpong-local"), round_trips);
    ctx.report("work_stealing", "rtt_mean", "ns", mean);
    ctx.report("work_stealing", "hop", "ns", mean / 2);
    last_counters = counters_delta("work_stealing", before, sum(exec->counters()));
  }
  exec->stop();
  ctx.note(std::to_string(round_trips) +
           " round trips (2 hops each) per round on one executor, workers: " +
           std::to_string(ctx.workers()) + "; floor: " + describe(cpus));
  ctx.note(last_counters);
}

/// Pins the worker that runs it: the only way, through the public API, to put two single-worker
/// executors on different cpus (each would pin its one worker to the first cpu).
class pin_worker final : public sched::runnable {
 public:
  explicit pin_worker(int cpu) noexcept : cpu_(cpu) {}
  bool pin_on(sched::executor& exec) {
    done_.reset();
    exec.schedule(*this);
    done_.wait("pin worker", 1, [] { return std::uint64_t{0}; });
    return pinned_;
  }
  sched::run_result run() noexcept override {
    pinned_ = pin_this_thread(cpu_);
    done_.signal();
    return sched::run_result::done;
  }

 private:
  int cpu_;
  bool pinned_ = false;
  completion done_;
};

void run_pingpong_cross(context& ctx) {
  const cpu_pair cpus = pick_cpu_pair(ctx.opt());
  const std::uint64_t round_trips = ctx.size(1'000'000, 100'000);
  // Unpinned by the executor: we place the two workers ourselves, on the floor's two cpus.
  auto exec_a = make(sched::executor_kind::work_stealing, 1, false);
  auto exec_b = make(sched::executor_kind::work_stealing, 1, false);
  bool pinned = false;
  if (cpus.first >= 0) {
    pin_worker pin_a(cpus.first), pin_b(cpus.second);
    pinned = pin_a.pin_on(*exec_a) && pin_b.pin_on(*exec_b);
  }
  pingpong_shared shared;
  shared.ping_exec = exec_a.get();
  shared.pong_exec = exec_b.get();
  shared.round_trips = round_trips;
  pong b(shared);
  ping a(shared, b);
  b.set_peer(a);

  std::vector<std::uint64_t> samples;
  std::string counters_a, counters_b;
  for (unsigned r = 0; r < ctx.rounds(); ++r) {
    floor_round(ctx, cpus, round_trips, samples);
    const sched::worker_counters before_a = sum(exec_a->counters());
    const sched::worker_counters before_b = sum(exec_b->counters());
    pingpong_pass(shared, a, &samples, "pingpong-cross");
    report_percentiles(ctx, "work_stealing", samples);
    ctx.report("work_stealing", "rtt_mean", "ns",
               mean_ns(pingpong_pass(shared, a, nullptr, "pingpong-cross"), round_trips));
    counters_a = counters_delta("ping executor", before_a, sum(exec_a->counters()));
    counters_b = counters_delta("pong executor", before_b, sum(exec_b->counters()));
  }
  exec_a->stop();
  exec_b->stop();
  ctx.note(std::to_string(round_trips) +
           " round trips per round between two single-worker executors; workers " +
           (pinned ? "pinned to " + describe(cpus) : std::string("unpinned")) +
           "; floor: " + describe(cpus));
  ctx.note(counters_a);
  ctx.note(counters_b);
}

}  // namespace
}  // namespace jaegis::bench

int main(int argc, char** argv) {
  using jaegis::bench::workload;
  const std::vector<workload> workloads = {
      {"floor", "two threads bouncing an atomic: round trip ns (the hardware floor)",
       jaegis::bench::run_floor},
      {"deque", "chase_lev_deque: owner push+pop, owner push + self-steal, owner vs thieves",
       jaegis::bench::run_deque},
      {"spawn", "executor spawn-and-run: from an outside thread and fanned out as a tree",
       jaegis::bench::run_spawn},
      {"pingpong-local", "two runnables scheduling each other on one work-stealing executor",
       jaegis::bench::run_pingpong_local},
      {"pingpong-cross", "ping on one single-worker executor, pong on another: cross-thread hops",
       jaegis::bench::run_pingpong_cross},
  };
  return jaegis::bench::run_main(argc, argv, "jaegis-microbench", workloads);
}
