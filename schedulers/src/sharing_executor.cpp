// The sharing executor: every worker takes from one global queue. No LIFO slot, no deques, no
// stealing; the same spin-then-park protocol as the work-stealing executor (see there), with the
// queue as the only place to re-check. It exists as the baseline that shows what the work-stealing
// design buys.

#include "jaegis/schedulers/sharing_executor.hpp"

#include <atomic>
#include <thread>

#include "injection_queue.hpp"
#include "jaegis/schedulers/event_count.hpp"
#include "jaegis/schedulers/topology.hpp"
#include "worker_counters_cell.hpp"

namespace jaegis::sched {
namespace {

struct sharing_worker {
  const sharing_executor::state* owner = nullptr;
  std::size_t index = 0;
  int cpu = -1;
  int node = 0;
  std::atomic<bool> pinned{false};
  detail::counters_cell counters;
  std::thread thread;
};

thread_local sharing_worker* tl_sharing_worker = nullptr;

}  // namespace

struct sharing_executor::state {
  explicit state(const executor_config& cfg) : config(cfg), topo(topology::resolve(cfg.topology)) {
    if (config.workers == 0) config.workers = topo.cpu_count();
  }

  void push(runnable* r) noexcept {
    queue.push(r);
    // seq_cst: the pusher's half of the handshake in event_count.hpp.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    sleepers.notify_one();
  }

  void main(sharing_worker& self) noexcept;
  runnable* next(sharing_worker& self, detail::injection_queue::consumer_token& token) noexcept;

  executor_config config;
  topology topo;
  std::vector<std::unique_ptr<sharing_worker>> workers;
  detail::injection_queue queue;
  event_count sleepers;
  alignas(cache_line_size) std::atomic<bool> stopping{false};
  bool stopped = false;
};

void sharing_executor::state::main(sharing_worker& self) noexcept {
  tl_sharing_worker = &self;
  set_this_thread_node(self.node);
  const bool pin = config.pin.value_or(topo.fits_real_cpus() && workers.size() <= topo.cpu_count());
  // relaxed: read only for reports.
  if (pin) {
    self.pinned.store(pin_this_thread(topo.real_cpu(self.cpu)), std::memory_order_relaxed);
  }
  auto token = queue.make_consumer();
  // relaxed: a hint; stop() wakes sleepers after setting it and join() synchronises.
  while (!stopping.load(std::memory_order_relaxed)) {
    runnable* r = next(self, token);
    if (r == nullptr) continue;
    detail::counters_cell::add(self.counters.runs);
    if (r->run() == run_result::again) push(r);
  }
  tl_sharing_worker = nullptr;
}

runnable* sharing_executor::state::next(sharing_worker& self,
                                        detail::injection_queue::consumer_token& token) noexcept {
  runnable* r = nullptr;
  for (unsigned round = 0; round <= config.spin_rounds; ++round) {
    if (queue.pop(token, r)) {
      detail::counters_cell::add(self.counters.global_pulls);
      return r;
    }
    detail::counters_cell::add(self.counters.spins);
    for (int i = 0; i < detail::spin_pauses; ++i)
      detail::cpu_relax();
  }
  const event_count::key key = sleepers.prepare_wait();
  // seq_cst: the waiter's half of the handshake in event_count.hpp.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // relaxed: ordered by the fence above.
  if (stopping.load(std::memory_order_relaxed) || queue.size_approx() != 0) {
    sleepers.cancel_wait();
    return nullptr;
  }
  detail::counters_cell::add(self.counters.parks);
  if (sleepers.wait(key)) detail::counters_cell::add(self.counters.wakeups);
  return nullptr;
}

sharing_executor::sharing_executor(const executor_config& config)
    : state_(std::make_unique<state>(config)) {
  const std::vector<int> cpus = state_->topo.cpus_in_placement_order();
  for (std::size_t i = 0; i < state_->config.workers; ++i) {
    auto w = std::make_unique<sharing_worker>();
    w->owner = state_.get();
    w->index = i;
    w->cpu = cpus[i % cpus.size()];
    w->node = state_->topo.node_of_cpu(w->cpu);
    state_->workers.push_back(std::move(w));
  }
  for (auto& w : state_->workers) {
    w->thread = std::thread([s = state_.get(), w = w.get()] { s->main(*w); });
  }
}

sharing_executor::~sharing_executor() {
  stop();
}

void sharing_executor::schedule(runnable& r) noexcept {
  state_->push(&r);
}

void sharing_executor::stop() noexcept {
  if (state_->stopped) return;
  state_->stopped = true;
  // seq_cst store and fence: a worker about to sleep sees `stopping` or is woken below.
  state_->stopping.store(true, std::memory_order_seq_cst);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  state_->sleepers.notify_all();
  for (auto& w : state_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
}

void sharing_executor::drain() noexcept {
  stop();
  auto token = state_->queue.make_consumer();
  runnable* r = nullptr;
  while (state_->queue.pop(token, r)) {
    while (r->run() == run_result::again) {
    }
  }
}

std::size_t sharing_executor::worker_count() const noexcept {
  return state_->workers.size();
}

std::vector<worker_counters> sharing_executor::counters() const {
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

std::size_t sharing_executor::sleeping_workers() const noexcept {
  return state_->sleepers.waiters();
}

int sharing_executor::current_worker() const noexcept {
  const sharing_worker* w = tl_sharing_worker;
  return w != nullptr && w->owner == state_.get() ? static_cast<int>(w->index) : -1;
}

}  // namespace jaegis::sched
