#include <catch2/catch.hpp>
#include <utility>
#include <vector>

#include "jaegis/schedulers/deterministic_executor.hpp"

using namespace jaegis::sched;

namespace {

/// Records its id when run; the first `spawns` runs schedule the next task in a chain, and it
/// yields `yields` times, so the ready set changes while the executor runs.
struct recording_task final : runnable {
  executor* exec = nullptr;
  std::vector<int>* log = nullptr;
  recording_task* child = nullptr;
  int id = 0;
  int yields = 0;
  run_result run() noexcept override {
    log->push_back(id);
    if (child != nullptr) exec->schedule(*std::exchange(child, nullptr));
    return yields-- > 0 ? run_result::again : run_result::done;
  }
};

std::vector<int> run_scenario(std::uint64_t seed) {
  deterministic_executor exec(seed);
  std::vector<int> log;
  std::vector<recording_task> tasks(200);
  for (int i = 0; i < 200; ++i) {
    tasks[i].exec = &exec;
    tasks[i].log = &log;
    tasks[i].id = i;
    tasks[i].yields = i % 3;
  }
  for (int i = 0; i < 100; ++i) {
    tasks[i].child = &tasks[i + 100];  // scheduled on the parent's first run
    exec.schedule(tasks[i]);
  }
  exec.run_until_idle();
  return log;
}

}  // namespace

TEST_CASE("the same seed gives the same order", "[deterministic]") {
  const auto first = run_scenario(7);
  const auto second = run_scenario(7);
  CHECK(first.size() == 200 + 2 * 66 + 67);  // every task once, plus its yields
  CHECK(first == second);
}

TEST_CASE("different seeds give different orders", "[deterministic]") {
  CHECK(run_scenario(1) != run_scenario(2));
}

TEST_CASE("run_one and run_until_idle respect limits and stop", "[deterministic]") {
  deterministic_executor exec(3);
  std::vector<int> log;
  recording_task a, b;
  a.exec = b.exec = &exec;
  a.log = b.log = &log;
  a.id = 1;
  b.id = 2;
  a.yields = 5;
  CHECK_FALSE(exec.run_one());
  exec.schedule(a);
  exec.schedule(b);
  CHECK(exec.ready() == 2);
  CHECK(exec.run_until_idle(3) == 3);
  CHECK(exec.counters()[0].runs == 3);
  exec.stop();
  const std::size_t queued = exec.ready();
  exec.schedule(a);  // refused: stopped
  CHECK(exec.ready() == queued);
  CHECK_FALSE(exec.run_one());
  exec.drain();  // runs what was queued, to the end
  CHECK(exec.ready() == 0);
  CHECK(exec.counters()[0].runs == 7);  // a: 1 + 5 yields, b: 1
}
