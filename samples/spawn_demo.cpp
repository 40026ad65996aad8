// jaegis-spawn-demo: two workers' worth of small runnables on the work-stealing executor.
//
// The interim flagship sample (until the agent topologies of issue 5 land). It shows the scheduler
// layer on its own: runnables submitted from outside go through the global injection queue, the
// ones they fan out go to the running worker's LIFO slot and deque, and idle workers steal them.
// It waits for every runnable, checks that each ran exactly once and computed what it should, and
// prints what it measured, with each worker's counters.
//
//   jaegis-spawn-demo [runnables]     default 2000000; JAEGIS_WORKERS etc. as in the README
//
// Exit status: 0 if every runnable ran exactly once, 1 if not, 2 on bad arguments or settings.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <vector>

#include "jaegis/schedulers/cache_line.hpp"
#include "jaegis/schedulers/deterministic_executor.hpp"
#include "jaegis/schedulers/executor.hpp"
#include "jaegis/schedulers/runnable.hpp"
#include "jaegis/schedulers/work_stealing_executor.hpp"
#include "jaegis/schedulers/worker_counters.hpp"

namespace {

namespace sched = jaegis::sched;
using clock_type = std::chrono::steady_clock;

// 10^6 per worker for the default 2 workers: long enough (a few hundred ms) for the startup and
// the last stragglers not to dominate, short enough for a quick start.
constexpr std::size_t default_runnables = 2'000'000;
// Each runnable schedules up to this many children (a k-ary heap over the task array). Eight
// fills the LIFO slot and pushes seven into the deque, so that a neighbour has something to steal.
constexpr std::size_t fan_out = 8;
// One runnable in this many is submitted from the main thread; the rest are fanned out by
// runnables on the workers. With fan-out 8 the fanned-out part is two levels deep.
constexpr std::size_t outside_share = 16;
// A waiting main thread gives up when no runnable finished for this long: a lost wake-up or a
// lost runnable, reported instead of hanging a quick start forever.
constexpr auto stall_limit = std::chrono::seconds(10);

// The "little computation" each runnable does: rounds of the splitmix64 finaliser, so that a run
// costs tens of nanoseconds of arithmetic and its result depends on the runnable's index.
std::uint64_t compute(std::uint64_t index) noexcept {
  constexpr int rounds = 16;  // ~20-40 ns: small next to a cache miss, large next to a schedule
  std::uint64_t x = index;
  for (int i = 0; i < rounds; ++i) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
  }
  return x;
}

class task;

// What every task shares: where the others are, whom to schedule them on, how many are left.
struct demo_state {
  sched::executor* executor = nullptr;
  task* tasks = nullptr;
  std::size_t total = 0;
  std::size_t outside = 0;  // tasks [0, outside) are submitted by the main thread
  std::atomic<std::size_t> remaining{0};
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;  // guarded by done_mutex
};

// One cache line each: neighbouring tasks often run on different workers, and sharing a line
// would measure false sharing rather than the executor.
class alignas(sched::cache_line_size) task final : public sched::runnable {
 public:
  void bind(demo_state& state) noexcept { state_ = &state; }

  sched::run_result run() noexcept override {
    demo_state& s = *state_;
    const std::size_t self = static_cast<std::size_t>(this - s.tasks);
    // Children in a k-ary heap; those below `outside` are the main thread's to submit.
    const std::size_t first = std::max(self * fan_out + 1, s.outside);
    const std::size_t last = std::min(self * fan_out + fan_out + 1, s.total);
    for (std::size_t child = first; child < last; ++child)
      s.executor->schedule(s.tasks[child]);

    result_ = compute(self);
    // relaxed: a counter read by the main thread after the acq_rel countdown below.
    runs_.fetch_add(1, std::memory_order_relaxed);
    // acq_rel: the release publishes this task's writes; the acquire of the last decrement
    // gathers every task's (the decrements form one release sequence), and the mutex below
    // passes them on to the main thread.
    if (s.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lock(s.done_mutex);
      s.done = true;
      s.done_cv.notify_one();
    }
    return sched::run_result::done;
  }

  std::uint32_t runs() const noexcept {
    // relaxed: read after every run finished (see run()).
    return runs_.load(std::memory_order_relaxed);
  }
  std::uint64_t result() const noexcept { return result_; }

 private:
  demo_state* state_ = nullptr;
  std::atomic<std::uint32_t> runs_{0};
  std::uint64_t result_ = 0;
};

const char* kind_name(sched::executor_kind kind) {
  switch (kind) {
    case sched::executor_kind::work_stealing:
      return "work-stealing";
    case sched::executor_kind::sharing:
      return "sharing";
    case sched::executor_kind::deterministic:
      return "deterministic";
  }
  return "?";
}

// Waits until every task ran; false if they stopped finishing for stall_limit.
bool wait_for_all(demo_state& state) {
  std::unique_lock lock(state.done_mutex);
  // relaxed: progress reports only.
  std::size_t last_remaining = state.remaining.load(std::memory_order_relaxed);
  auto last_progress = clock_type::now();
  while (!state.done_cv.wait_for(lock, std::chrono::seconds(1), [&] { return state.done; })) {
    const std::size_t now_remaining = state.remaining.load(std::memory_order_relaxed);
    if (now_remaining != last_remaining) {
      last_remaining = now_remaining;
      last_progress = clock_type::now();
    } else if (clock_type::now() - last_progress > stall_limit) {
      std::printf("stalled: %zu runnables left and none finished for %lld s\n", now_remaining,
                  static_cast<long long>(stall_limit.count()));
      return false;
    }
    std::printf("waiting: %zu runnables left\n", now_remaining);
  }
  return true;
}

void print_counters(const std::vector<sched::worker_counters>& counters) {
  std::printf("%6s %10s %10s %9s %9s %9s %7s %7s %5s %5s %6s\n", "worker", "runs", "lifo runs",
              "steals", "steal try", "global", "parks", "wakeups", "node", "cpu", "pinned");
  sched::worker_counters sum;
  for (std::size_t i = 0; i < counters.size(); ++i) {
    const sched::worker_counters& c = counters[i];
    std::printf("%6zu %10" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64
                " %7" PRIu64 " %5d %5d %6s\n",
                i, c.runs, c.lifo_runs, c.steals, c.steal_attempts, c.global_pulls, c.parks,
                c.wakeups, c.node, c.cpu, c.pinned ? "yes" : "no");
    sum.runs += c.runs;
    sum.lifo_runs += c.lifo_runs;
    sum.steals += c.steals;
    sum.steal_attempts += c.steal_attempts;
    sum.global_pulls += c.global_pulls;
    sum.parks += c.parks;
    sum.wakeups += c.wakeups;
  }
  std::printf("%6s %10" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %7" PRIu64
              " %7" PRIu64 "\n",
              "total", sum.runs, sum.lifo_runs, sum.steals, sum.steal_attempts, sum.global_pulls,
              sum.parks, sum.wakeups);
  std::printf(
      "(global: taken from the global queue, where outside submissions and deque overflow go;\n "
      "steal try: visits to a victim's deque)\n");
}

int run_demo(std::size_t total) {
  sched::executor_config defaults;
  defaults.workers = 2;  // two workers unless JAEGIS_WORKERS says otherwise
  const sched::executor_config config = sched::executor_config::from_env(defaults);

  // Allocated up front: the measured part allocates nothing, and executors never own runnables.
  std::vector<task> tasks(total);
  demo_state state;
  state.tasks = tasks.data();
  state.total = total;
  state.outside = std::max<std::size_t>(1, total / outside_share);
  // relaxed: published to the workers by the executor's hand-off of the first runnable.
  state.remaining.store(total, std::memory_order_relaxed);
  for (task& t : tasks)
    t.bind(state);

  std::unique_ptr<sched::executor> executor = sched::make_executor(config);
  state.executor = executor.get();

  std::printf(
      "jaegis-spawn-demo: %zu runnables: %zu submitted from outside, %zu fanned out by "
      "runnables (fan-out %zu)\n",
      total, state.outside, total - state.outside, fan_out);
  std::printf("executor: %s, %zu worker%s", kind_name(config.kind), executor->worker_count(),
              executor->worker_count() == 1 ? "" : "s");
  if (auto* ws = dynamic_cast<sched::work_stealing_executor*>(executor.get())) {
    std::printf(", topology %s", ws->placement().describe().c_str());
  }
  std::printf("\n");

  const auto start = clock_type::now();
  for (std::size_t i = 0; i < state.outside; ++i)
    executor->schedule(tasks[i]);
  bool finished = true;
  if (auto* det = dynamic_cast<sched::deterministic_executor*>(executor.get())) {
    det->run_until_idle();  // no workers: the main thread runs everything
    finished = state.remaining.load(std::memory_order_acquire) == 0;  // acquire: see run()
  } else {
    finished = wait_for_all(state);
  }
  const auto elapsed = clock_type::now() - start;
  // Joins the workers, so that the counters below are final and no task is touched any more.
  executor->stop();

  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::printf(
      "elapsed: %.1f ms, %.2f M runnables/s, %.0f ns per runnable per worker\n", seconds * 1e3,
      static_cast<double>(total) / seconds / 1e6,
      seconds * 1e9 * static_cast<double>(executor->worker_count()) / static_cast<double>(total));
  std::printf("\n");
  const std::vector<sched::worker_counters> counters = executor->counters();
  print_counters(counters);
  std::printf("\n");

  std::size_t never = 0, more_than_once = 0, wrong_result = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const std::uint32_t runs = tasks[i].runs();
    if (runs == 0) {
      ++never;
    } else if (runs > 1) {
      ++more_than_once;
    } else if (tasks[i].result() != compute(i)) {
      ++wrong_result;
    }
  }
  std::uint64_t counted_runs = 0;
  for (const sched::worker_counters& c : counters)
    counted_runs += c.runs;

  const bool ok = finished && never == 0 && more_than_once == 0 && wrong_result == 0;
  if (ok) {
    std::printf("check: all %zu runnables ran exactly once: ok\n", total);
  } else {
    std::printf(
        "check: FAILED: %zu never ran, %zu ran more than once, %zu computed a wrong "
        "result\n",
        never, more_than_once, wrong_result);
  }
  if (counted_runs != total) {
    // The workers' own count disagrees with what the runnables saw: a counter bug, reported
    // beside the check rather than failing the sample.
    std::printf("note: the workers' counters sum to %" PRIu64 " runs, not %zu\n", counted_runs,
                total);
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t total = default_runnables;
  if (argc > 2) {
    std::fprintf(stderr, "usage: %s [runnables]\n", argv[0]);
    return 2;
  }
  if (argc == 2) {
    const std::string_view arg = argv[1];
    // An upper bound that keeps the task array (one cache line each) within 64 GiB.
    constexpr std::size_t max_runnables = std::size_t{1} << 30;
    const auto [end, error] = std::from_chars(arg.data(), arg.data() + arg.size(), total);
    if (error != std::errc{} || end != arg.data() + arg.size() || total == 0 ||
        total > max_runnables) {
      std::fprintf(stderr, "%s: runnables must be a number from 1 to %zu, not '%s'\n", argv[0],
                   max_runnables, argv[1]);
      return 2;
    }
  }
  try {
    return run_demo(total);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jaegis-spawn-demo: %s\n", e.what());
    return 2;
  }
}
