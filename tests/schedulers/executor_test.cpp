#include "jaegis/schedulers/executor.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "jaegis/schedulers/work_stealing_executor.hpp"
#include "test_support.hpp"

using namespace jaegis::sched;
using namespace std::chrono_literals;

namespace {

using jaegis::test::eventually;

template <class Done>
bool wait_for(Done done, std::chrono::milliseconds limit = 120s) {
  return eventually(done, limit);
}

/// Runs `rounds` times, requeueing itself with `again`; on its first run it schedules its child
/// (from the worker), so work is created both outside and on workers. Detects overlapping runs.
struct counted_task final : runnable {
  executor* exec = nullptr;
  counted_task* child = nullptr;
  std::atomic<std::size_t>* total = nullptr;
  std::uint32_t rounds = 0;
  std::uint32_t runs = 0;
  std::atomic<bool> busy{false};
  std::atomic<bool> overlapped{false};

  run_result run() noexcept override {
    // acq_rel: a second thread running us at the same time would see `true`.
    if (busy.exchange(true, std::memory_order_acq_rel)) {
      overlapped.store(true, std::memory_order_relaxed);  // relaxed: read after the executor stops
    }
    if (runs++ == 0 && child != nullptr) exec->schedule(*child);
    const bool more = runs < rounds;
    busy.store(false, std::memory_order_release);  // release: pairs with the exchange above
    // release: the test reads `runs` after it sees the total.
    total->fetch_add(1, std::memory_order_release);
    return more ? run_result::again : run_result::done;
  }
};

void run_exactly_once_storm(executor_kind kind, std::size_t workers, const char* topo) {
  const std::size_t objects = jaegis::test::scaled(1'000'000);
  const std::uint32_t rounds = 10;  // 10^7 runs in all at full scale
  executor_config config;
  config.kind = kind;
  config.workers = workers;
  config.topology = topo;
  auto exec = make_executor(config);
  std::atomic<std::size_t> total{0};
  std::vector<counted_task> tasks(objects);
  for (std::size_t i = 0; i < objects; ++i) {
    tasks[i].exec = exec.get();
    tasks[i].total = &total;
    tasks[i].rounds = rounds;
    if (i < objects / 2) tasks[i].child = &tasks[i + objects / 2];
  }
  // Two outside threads submit the first half; the workers submit the second half.
  std::vector<std::thread> submitters;
  for (int s = 0; s < 2; ++s) {
    submitters.emplace_back([&, s] {
      for (std::size_t i = static_cast<std::size_t>(s); i < objects / 2; i += 2) {
        exec->schedule(tasks[i]);
      }
    });
  }
  for (auto& t : submitters)
    t.join();
  const std::size_t expected = objects * rounds;
  // acquire: pairs with the tasks' release increments.
  REQUIRE(wait_for([&] { return total.load(std::memory_order_acquire) == expected; }));
  exec->stop();
  std::size_t wrong = 0, overlaps = 0;
  for (auto& t : tasks) {
    wrong += t.runs != rounds;
    overlaps += t.overlapped.load(std::memory_order_relaxed);
  }
  CHECK(wrong == 0);
  CHECK(overlaps == 0);
  std::uint64_t runs = 0;
  for (const auto& c : exec->counters())
    runs += c.runs;
  CHECK(runs == expected);
}

struct flag_task final : runnable {
  std::atomic<std::uint64_t> runs{0};
  run_result run() noexcept override {
    // release: the waiting test thread reads the count with acquire.
    runs.fetch_add(1, std::memory_order_release);
    return run_result::done;
  }
};

std::uint64_t process_cpu_ticks() {
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    rest >> field;
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return utime + stime;
}

}  // namespace

TEST_CASE("work stealing: 10^7 runs from workers and outside, each exactly once", "[executor]") {
  run_exactly_once_storm(executor_kind::work_stealing, 0, "");
}

TEST_CASE("work stealing over a 2x2 topology override, more workers than cpus", "[executor]") {
  run_exactly_once_storm(executor_kind::work_stealing, 4, "2x2");
}

TEST_CASE("sharing: 10^7 runs from workers and outside, each exactly once", "[executor]") {
  run_exactly_once_storm(executor_kind::sharing, 0, "");
}

TEST_CASE("10^5 park/wake cycles lose no wake-up", "[executor]") {
  const executor_kind kind = GENERATE(executor_kind::work_stealing, executor_kind::sharing);
  const std::size_t cycles = jaegis::test::scaled(100'000);
  executor_config config;
  config.kind = kind;
  config.workers = 2;
  config.spin_rounds = 0;  // park at once, so that every cycle really sleeps and wakes
  auto exec = make_executor(config);
  flag_task task;
  std::size_t slept_before = 0;
  for (std::size_t i = 0; i < cycles; ++i) {
    // Every worker asleep (or about to be) before we push: the push must wake one.
    REQUIRE(wait_for([&] { return exec->sleeping_workers() == 2; }, 10s));
    exec->schedule(task);
    // acquire: pairs with the task's release.
    const bool ran =
        wait_for([&] { return task.runs.load(std::memory_order_acquire) == i + 1; }, 10s);
    if (!ran) FAIL("wake-up lost in cycle " << i);
    ++slept_before;
  }
  exec->stop();
  std::uint64_t parks = 0, wakeups = 0;
  for (const auto& c : exec->counters()) {
    parks += c.parks;
    wakeups += c.wakeups;
  }
  CHECK(slept_before == cycles);
  CHECK(wakeups >= cycles / 2);  // most cycles are a real futex sleep and wake
  CHECK(parks >= wakeups);
}

TEST_CASE("concurrent outside submitters racing parking workers lose nothing", "[executor]") {
  const std::size_t cycles = jaegis::test::scaled(20'000);
  auto exec = make_executor(executor_config{});
  std::vector<flag_task> tasks(3);
  std::vector<std::thread> threads;
  std::atomic<bool> lost{false};
  for (auto& task : tasks) {
    threads.emplace_back([&] {
      for (std::size_t i = 0; i < cycles && !lost.load(); ++i) {
        exec->schedule(task);
        if (!wait_for([&] { return task.runs.load(std::memory_order_acquire) == i + 1; }, 10s)) {
          lost.store(true);
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  CHECK_FALSE(lost.load());
}

TEST_CASE("an idle executor uses less than 2% of one core", "[executor]") {
  executor_config config;
  config.workers = 4;  // more than this machine's cpus: idle must still mean asleep
  auto exec = make_executor(config);
  REQUIRE(wait_for([&] { return exec->sleeping_workers() == 4; }, 10s));
  const std::uint64_t before = process_cpu_ticks();
  std::this_thread::sleep_for(2s);
  const std::uint64_t after = process_cpu_ticks();
  const double core_fraction =
      static_cast<double>(after - before) / (2.0 * static_cast<double>(sysconf(_SC_CLK_TCK)));
  INFO("cpu used while idle: " << core_fraction * 100 << "% of one core");
  CHECK(core_fraction < 0.02);
}

TEST_CASE("workers steal from their own NUMA node first (2x2 override)", "[executor][numa]") {
  executor_config config;
  config.workers = 4;
  config.topology = "2x2";
  work_stealing_executor exec(config);
  const auto counters = exec.counters();
  REQUIRE(counters.size() == 4);
  CHECK(counters[0].node == 0);
  CHECK(counters[1].node == 0);
  CHECK(counters[2].node == 1);
  CHECK(counters[3].node == 1);
  CHECK_FALSE(counters[0].pinned);  // 4 virtual cpus on fewer real ones: pinning would stack
  for (std::size_t w = 0; w < 4; ++w) {
    const auto& order = exec.victims_of(w);
    REQUIRE(order.same_node().size() == 1);
    CHECK(order.same_node()[0] == (w ^ 1));  // the partner on the same node
    CHECK(order.other_nodes().size() == 2);
    for (std::uint64_t random : {0ull, 1ull, 7ull, 0xdeadbeefcafeull}) {
      std::vector<std::size_t> visited;
      order.for_each(random, [&](std::size_t v) {
        visited.push_back(v);
        return false;
      });
      REQUIRE(visited.size() == 3);
      CHECK(visited[0] == (w ^ 1));
      for (std::size_t i = 1; i < 3; ++i)
        CHECK(visited[i] / 2 != w / 2);
    }
  }
}

TEST_CASE("victim order with one node visits everyone else, from a random start",
          "[executor][numa]") {
  const std::vector<int> nodes{0, 0, 0, 0, 0};
  const victim_order order(nodes, 2);
  CHECK(order.other_nodes().empty());
  std::vector<std::size_t> firsts;
  for (std::uint64_t r = 0; r < 4; ++r) {
    std::vector<std::size_t> visited;
    order.for_each(r, [&](std::size_t v) {
      visited.push_back(v);
      return false;
    });
    CHECK(visited.size() == 4);
    CHECK(std::find(visited.begin(), visited.end(), 2u) == visited.end());
    firsts.push_back(visited[0]);
  }
  std::sort(firsts.begin(), firsts.end());
  CHECK(std::unique(firsts.begin(), firsts.end()) - firsts.begin() == 4);
}

TEST_CASE("schedule from a worker stays on that worker", "[executor]") {
  executor_config config;
  config.workers = 2;
  auto exec = make_executor(config);
  struct probe final : runnable {
    executor* exec = nullptr;
    probe* next = nullptr;
    std::atomic<int> worker{-2};
    run_result run() noexcept override {
      worker.store(exec->current_worker(), std::memory_order_release);  // release: test reads
      if (next != nullptr) exec->schedule(*next);
      return run_result::done;
    }
  };
  probe second;
  second.exec = exec.get();
  probe first;
  first.exec = exec.get();
  first.next = &second;
  CHECK(exec->current_worker() == -1);
  exec->schedule(first);
  REQUIRE(wait_for([&] { return second.worker.load(std::memory_order_acquire) != -2; }));
  CHECK(first.worker.load() >= 0);
  CHECK(second.worker.load() == first.worker.load());  // the LIFO slot: same worker, next
}

TEST_CASE("stop is idempotent and leaves queued work unrun", "[executor]") {
  auto exec = make_executor(executor_config{});
  exec->stop();
  exec->stop();
  flag_task task;
  exec->schedule(task);  // accepted, never run: the executor has stopped
  std::this_thread::sleep_for(10ms);
  CHECK(task.runs.load() == 0);
}

TEST_CASE("executor_config::from_env reads and validates the environment", "[executor][config]") {
  ::setenv("JAEGIS_WORKERS", "3", 1);
  ::setenv("JAEGIS_EXECUTOR", "sharing", 1);
  ::setenv("JAEGIS_PIN", "0", 1);
  ::setenv("JAEGIS_TOPOLOGY", "3x1", 1);
  executor_config config = executor_config::from_env();
  CHECK(config.workers == 3);
  CHECK(config.kind == executor_kind::sharing);
  CHECK(config.pin == false);
  CHECK(config.topology == "3x1");
  for (auto [name, value] : {std::pair{"JAEGIS_WORKERS", "many"},
                             {"JAEGIS_WORKERS", "-1"},
                             {"JAEGIS_EXECUTOR", "fast"},
                             {"JAEGIS_PIN", "yes"},
                             {"JAEGIS_TOPOLOGY", "2y2"}}) {
    INFO(name << "=" << value);
    const char* old = std::getenv(name);
    const std::string saved = old ? old : "";
    ::setenv(name, value, 1);
    CHECK_THROWS_AS(executor_config::from_env(), std::invalid_argument);
    ::setenv(name, saved.c_str(), 1);
  }
  for (const char* name : {"JAEGIS_WORKERS", "JAEGIS_EXECUTOR", "JAEGIS_PIN", "JAEGIS_TOPOLOGY"}) {
    ::unsetenv(name);
  }
  CHECK(executor_config::from_env().kind == executor_kind::work_stealing);
}
