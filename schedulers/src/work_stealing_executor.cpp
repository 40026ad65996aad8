// The work-stealing executor.
//
// Where a runnable goes when it becomes runnable:
//   1. scheduled on one of our workers: into that worker's LIFO slot; the previous occupant, if
//      any, moves to the bottom of the worker's deque (a push, which may wake a sleeper);
//   2. scheduled from any other thread: into the global injection queue, then maybe a wake-up;
//   3. a run that returns `again` (a yield): to the bottom of its worker's deque;
//   4. a deque push that finds the deque full moves half of it to the global queue.
//
// Where a worker looks for its next runnable, in order:
//   1. after a run, the LIFO slot, at most `lifo_cap` times in a row;
//   2. every `global_queue_interval` ticks, the global queue first (fairness to outside work);
//   3. its own deque, oldest first (it steals from its own top, so its queue is FIFO);
//   4. the global queue, taking a batch into its deque;
//   5. searching: steal half of a victim's deque, same NUMA node first; at most half the workers
//      search at once;
//   6. spin `spin_rounds` rounds of 3-5 (each a search and a few `pause`s), then park.
//
// Parking, with no lost wake-up (see event_count.hpp):
//   1. a searching worker stops searching (decrements `searching`);
//   2. it announces itself on the event count (prepare_wait) and issues a seq_cst fence;
//   3. it re-checks every deque and the global queue; if any holds work it cancels and steals;
//   4. else it sleeps until the epoch changes.
// A pusher makes its runnable visible, issues a seq_cst fence, and wakes one sleeper if no worker
// is searching. Either the pusher sees the sleeper's announcement (and `searching` as it was
// before step 1), or the sleeper's re-check sees the runnable. If a searcher exists, it will
// either find the runnable or park through the same re-check. The last searcher to find work
// wakes one sleeper, so that a burst keeps a searcher on it.
//
// Stopping: set `stopping`, fence, wake everyone; a worker checks `stopping` once per loop and
// before it sleeps; the executor joins the threads. Queued runnables are not run.

#include "jaegis/schedulers/work_stealing_executor.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "injection_queue.hpp"
#include "jaegis/schedulers/chase_lev_deque.hpp"
#include "jaegis/schedulers/event_count.hpp"
#include "jaegis/schedulers/victim_order.hpp"
#include "worker_counters_cell.hpp"

namespace jaegis::sched {
namespace {

// Enough to amortise a global-queue visit, small enough to leave work for other workers.
constexpr std::size_t global_batch = 32;

struct worker;
thread_local worker* tl_worker = nullptr;

}  // namespace

struct work_stealing_executor::state {
  explicit state(const executor_config& cfg);

  void start();
  void push_global(runnable* r) noexcept;
  void notify_after_push() noexcept;
  bool work_visible() const noexcept;

  executor_config config;
  topology topo;
  std::vector<std::unique_ptr<worker>> workers;
  detail::injection_queue global;
  event_count sleepers;
  alignas(cache_line_size) std::atomic<std::uint32_t> searching{0};
  alignas(cache_line_size) std::atomic<bool> stopping{false};
  bool stopped = false;
};

namespace {

struct worker {
  worker(work_stealing_executor::state& s, std::size_t i, int cpu_, bool pin_,
         const std::vector<int>& nodes)
      : owner(s),
        index(i),
        cpu(cpu_),
        node(nodes[i]),
        pin(pin_),
        deque(s.config.deque_capacity),
        victims(nodes, i),
        random(s.config.seed + 0x9e3779b97f4a7c15ull * (i + 1)),
        consumer(s.global.make_consumer()) {}

  void main() noexcept;
  void schedule_local(runnable* r) noexcept;
  void push_back(runnable* r) noexcept;
  void run_from(runnable* first) noexcept;
  void execute(runnable* r) noexcept;
  runnable* find_local() noexcept;
  runnable* take_own() noexcept;
  runnable* pull_global() noexcept;
  runnable* search() noexcept;
  runnable* steal_from_others() noexcept;
  runnable* steal_half(worker& victim) noexcept;
  runnable* park() noexcept;
  bool try_begin_search() noexcept;
  void end_search(bool found_work) noexcept;
  bool stopping() const noexcept {
    // relaxed: a hint checked every loop; stop() wakes sleepers after setting it, and join()
    // provides the synchronisation that matters.
    return owner.stopping.load(std::memory_order_relaxed);
  }

  work_stealing_executor::state& owner;
  const std::size_t index;
  const int cpu;
  const int node;
  const bool pin;
  std::atomic<bool> pinned{false};
  chase_lev_deque<runnable> deque;
  const victim_order victims;
  xorshift64 random;
  detail::injection_queue::consumer_token consumer;
  runnable* lifo = nullptr;  // owner-only: never stolen, so no atomics
  std::uint64_t tick = 0;
  detail::counters_cell counters;
  std::thread thread;
};

void worker::main() noexcept {
  tl_worker = this;
  set_this_thread_node(node);
  // relaxed: read only for reports.
  if (pin) pinned.store(pin_this_thread(owner.topo.real_cpu(cpu)), std::memory_order_relaxed);
  while (!stopping()) {
    runnable* r = find_local();
    if (r == nullptr) r = search();
    if (r != nullptr) run_from(r);
  }
  tl_worker = nullptr;
}

void worker::schedule_local(runnable* r) noexcept {
  runnable* displaced = std::exchange(lifo, r);
  if (displaced != nullptr) push_back(displaced);
}

void worker::push_back(runnable* r) noexcept {
  if (!deque.push(r)) {
    // Full: move the newer half to the global queue in one bulk enqueue, then retry.
    runnable* spill[global_batch];
    std::size_t moved = 0;
    while (moved < deque.capacity() / 2) {
      std::size_t n = 0;
      while (n < global_batch) {
        runnable* item = deque.pop();
        if (item == nullptr) break;
        spill[n++] = item;
      }
      if (n == 0) break;
      owner.global.push_bulk(spill, n);
      moved += n;
    }
    if (!deque.push(r)) owner.global.push(r);
  }
  owner.notify_after_push();
}

void worker::run_from(runnable* first) noexcept {
  execute(first);
  for (unsigned streak = 0; lifo != nullptr; ++streak) {
    runnable* next = std::exchange(lifo, nullptr);
    if (streak == owner.config.lifo_cap) {
      push_back(next);  // let the queue run; the pair continues from there
      return;
    }
    detail::counters_cell::add(counters.lifo_runs);
    execute(next);
  }
}

void worker::execute(runnable* r) noexcept {
  detail::counters_cell::add(counters.runs);
  if (r->run() == run_result::again) push_back(r);
}

runnable* worker::find_local() noexcept {
  if (++tick % owner.config.global_queue_interval == 0) {
    if (runnable* r = pull_global()) return r;
  }
  if (runnable* r = take_own()) return r;
  return pull_global();
}

runnable* worker::take_own() noexcept {
  for (;;) {
    auto [item, contended] = deque.steal();  // from our own top: oldest first
    if (item != nullptr || !contended) return item;
  }
}

runnable* worker::pull_global() noexcept {
  runnable* batch[global_batch];
  const std::size_t room = deque.capacity() - deque.size();
  const std::size_t want = std::clamp<std::size_t>(room / 2, 1, global_batch);
  const std::size_t n = owner.global.pop_bulk(consumer, batch, want);
  if (n == 0) return nullptr;
  detail::counters_cell::add(counters.global_pulls, n);
  for (std::size_t i = 1; i < n; ++i) {
    if (!deque.push(batch[i])) owner.global.push(batch[i]);
  }
  if (n > 1) owner.notify_after_push();
  return batch[0];
}

bool worker::try_begin_search() noexcept {
  // relaxed: the bound is a heuristic; overshooting by a racing worker or two is harmless.
  const std::uint32_t now = owner.searching.load(std::memory_order_relaxed);
  if (2 * now >= owner.workers.size()) return false;
  // relaxed: pushers read `searching` after a seq_cst fence of their own; our park path issues
  // a seq_cst fence after leaving the search, which is what the no-lost-wake-up argument needs.
  owner.searching.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void worker::end_search(bool found_work) noexcept {
  // seq_cst: totally ordered with the pushers' fences, so a pusher that saw us searching has its
  // work seen by our later park re-check (which follows another seq_cst fence).
  const std::uint32_t before = owner.searching.fetch_sub(1, std::memory_order_seq_cst);
  if (found_work && before == 1) owner.sleepers.notify_one();  // keep a searcher on the burst
}

runnable* worker::search() noexcept {
  bool searching = try_begin_search();
  for (unsigned round = 0;; ++round) {
    if (stopping()) break;
    runnable* r = searching ? steal_from_others() : nullptr;
    if (r == nullptr) r = pull_global();
    if (r != nullptr) {
      if (searching) end_search(true);
      return r;
    }
    if (round < owner.config.spin_rounds) {
      detail::counters_cell::add(counters.spins);
      for (int i = 0; i < detail::spin_pauses; ++i)
        detail::cpu_relax();
      if (!searching) searching = try_begin_search();
      continue;
    }
    if (searching) end_search(false);
    searching = false;
    if (runnable* found = park()) return found;
    round = 0;
    searching = try_begin_search();
  }
  if (searching) end_search(false);
  return nullptr;
}

runnable* worker::steal_from_others() noexcept {
  runnable* stolen = nullptr;
  victims.for_each(random.next(), [&](std::size_t v) {
    stolen = steal_half(*owner.workers[v]);
    return stolen != nullptr;
  });
  return stolen;
}

runnable* worker::steal_half(worker& victim) noexcept {
  detail::counters_cell::add(counters.steal_attempts);
  const std::size_t available = victim.deque.size();
  if (available == 0) return nullptr;
  // Chase–Lev steals one item per CAS (a multi-item CAS would race the owner's CAS-free pops),
  // so "half" is a loop of single steals into our own deque.
  const std::size_t want = std::min((available + 1) / 2, deque.capacity() - deque.size());
  runnable* first = nullptr;
  std::size_t taken = 0;
  for (int failures = 0; taken < want && failures < 2;) {
    auto [item, contended] = victim.deque.steal();
    if (item == nullptr) {
      if (!contended) break;
      ++failures;
      continue;
    }
    if (first == nullptr) {
      first = item;
    } else if (!deque.push(item)) {
      owner.global.push(item);
    }
    ++taken;
  }
  if (taken > 1) owner.notify_after_push();
  detail::counters_cell::add(counters.steals, taken);
  return first;
}

runnable* worker::park() noexcept {
  const event_count::key key = owner.sleepers.prepare_wait();
  // seq_cst: the waiter's half of the handshake in event_count.hpp.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (stopping()) {
    owner.sleepers.cancel_wait();
    return nullptr;
  }
  if (owner.work_visible()) {
    owner.sleepers.cancel_wait();
    // Steal even if half the workers already search: work is there and we are awake.
    runnable* r = steal_from_others();
    return r != nullptr ? r : pull_global();
  }
  detail::counters_cell::add(counters.parks);
  if (owner.sleepers.wait(key)) detail::counters_cell::add(counters.wakeups);
  return nullptr;
}

}  // namespace

work_stealing_executor::state::state(const executor_config& cfg)
    : config(cfg), topo(topology::resolve(cfg.topology)) {
  if (config.workers == 0) config.workers = topo.cpu_count();
  if (config.lifo_cap == 0) config.lifo_cap = 1;
  if (config.global_queue_interval == 0) config.global_queue_interval = 1;
  const std::vector<int> cpus = topo.cpus_in_placement_order();
  const bool pin = config.pin.value_or(topo.fits_real_cpus() && config.workers <= cpus.size());
  std::vector<int> nodes;
  for (std::size_t i = 0; i < config.workers; ++i) {
    nodes.push_back(topo.node_of_cpu(cpus[i % cpus.size()]));
  }
  for (std::size_t i = 0; i < config.workers; ++i) {
    workers.push_back(std::make_unique<worker>(*this, i, cpus[i % cpus.size()], pin, nodes));
  }
}

void work_stealing_executor::state::start() {
  // Every worker exists before any thread runs: thieves index the whole vector.
  for (auto& w : workers)
    w->thread = std::thread([w = w.get()] { w->main(); });
}

void work_stealing_executor::state::push_global(runnable* r) noexcept {
  global.push(r);
  notify_after_push();
}

void work_stealing_executor::state::notify_after_push() noexcept {
  // seq_cst: the pusher's half of the handshake in event_count.hpp: either a parking worker's
  // re-check sees our push, or we see its announcement (and its exit from searching).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // relaxed: ordered by the fence above.
  if (searching.load(std::memory_order_relaxed) == 0) sleepers.notify_one();
}

bool work_stealing_executor::state::work_visible() const noexcept {
  if (global.size_approx() != 0) return true;
  return std::any_of(workers.begin(), workers.end(),
                     [](const auto& w) { return !w->deque.empty(); });
}

work_stealing_executor::work_stealing_executor(const executor_config& config)
    : state_(std::make_unique<state>(config)) {
  state_->start();
}

work_stealing_executor::~work_stealing_executor() {
  stop();
}

void work_stealing_executor::schedule(runnable& r) noexcept {
  worker* w = tl_worker;
  if (w != nullptr && &w->owner == state_.get()) {
    w->schedule_local(&r);
  } else {
    state_->push_global(&r);
  }
}

void work_stealing_executor::stop() noexcept {
  if (state_->stopped) return;
  state_->stopped = true;
  // seq_cst store and fence: a worker about to sleep either sees `stopping` in its re-check or
  // is counted by notify_all below.
  state_->stopping.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  state_->sleepers.notify_all();
  for (auto& w : state_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void work_stealing_executor::drain() noexcept {
  stop();
  auto token = state_->global.make_consumer();
  std::vector<runnable*> batch;
  for (;;) {
    for (auto& w : state_->workers) {
      if (w->lifo != nullptr) batch.push_back(std::exchange(w->lifo, nullptr));
      while (runnable* r = w->deque.pop())
        batch.push_back(r);
    }
    runnable* r = nullptr;
    while (state_->global.pop(token, r))
      batch.push_back(r);
    if (batch.empty()) return;
    // What these schedule goes to the global queue (this is not a worker thread): next round.
    for (runnable* item : batch) {
      while (item->run() == run_result::again) {
      }
    }
    batch.clear();
  }
}

std::size_t work_stealing_executor::worker_count() const noexcept {
  return state_->workers.size();
}

std::vector<worker_counters> work_stealing_executor::counters() const {
  std::vector<worker_counters> all;
  for (const auto& w : state_->workers) {
    worker_counters c = w->counters.snapshot();
    c.node = w->node;
    c.cpu = w->cpu;
    c.pinned = w->pinned.load(std::memory_order_relaxed);  // relaxed: a report
    all.push_back(c);
  }
  return all;
}

std::size_t work_stealing_executor::sleeping_workers() const noexcept {
  return state_->sleepers.waiters();
}

int work_stealing_executor::current_worker() const noexcept {
  const worker* w = tl_worker;
  return w != nullptr && &w->owner == state_.get() ? static_cast<int>(w->index) : -1;
}

const topology& work_stealing_executor::placement() const noexcept {
  return state_->topo;
}

const victim_order& work_stealing_executor::victims_of(std::size_t index) const noexcept {
  return state_->workers.at(index)->victims;
}

}  // namespace jaegis::sched
