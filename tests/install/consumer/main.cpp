// A user's program built against the installed package: runs a few thousand runnables on a
// work-stealing executor, half submitted from this thread and half from inside runnables, and
// fails unless each ran exactly once. Each run also takes a block from its worker's memory pool,
// which this thread frees, so that the framework library and its allocator link and work too.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <jaegis/framework/pool.hpp>
#include <jaegis/schedulers/executor.hpp>
#include <jaegis/schedulers/runnable.hpp>
#include <jaegis/schedulers/work_stealing_executor.hpp>
#include <thread>
#include <vector>

namespace {

// A few thousand: enough for both workers to run, steal and park, quick under the sanitizers.
constexpr std::size_t task_count = 4000;

struct shared_state {
  jaegis::sched::executor* executor = nullptr;
  std::atomic<std::size_t> remaining{task_count};
};

class task final : public jaegis::sched::runnable {
 public:
  void bind(shared_state& state, task* child) noexcept {
    state_ = &state;
    child_ = child;
  }

  jaegis::sched::run_result run() noexcept override {
    if (child_ != nullptr) state_->executor->schedule(*child_);
    block_ = jaegis::mem::make<std::uint64_t>(reinterpret_cast<std::uintptr_t>(this));
    // relaxed: read by main after the acq_rel countdown below.
    runs_.fetch_add(1, std::memory_order_relaxed);
    // acq_rel: the decrements form one release sequence, so main's acquire load of zero sees
    // every task's writes (runs_, block_).
    state_->remaining.fetch_sub(1, std::memory_order_acq_rel);
    return jaegis::sched::run_result::done;
  }

  bool check_and_release() noexcept {
    const bool ok = runs_.load(std::memory_order_relaxed) == 1 &&  // relaxed: see run()
                    block_ != nullptr && *block_ == reinterpret_cast<std::uintptr_t>(this);
    jaegis::mem::destroy(block_);
    return ok;
  }

 private:
  shared_state* state_ = nullptr;
  task* child_ = nullptr;
  std::uint64_t* block_ = nullptr;
  std::atomic<unsigned> runs_{0};
};

}  // namespace

int main() {
  std::vector<task> tasks(task_count);
  shared_state state;
  // The first half is submitted from here; each of them schedules one of the second half from
  // its worker.
  constexpr std::size_t outside = task_count / 2;
  for (std::size_t i = 0; i < task_count; ++i) {
    tasks[i].bind(state, i < outside ? &tasks[outside + i] : nullptr);
  }

  jaegis::sched::executor_config config;
  config.kind = jaegis::sched::executor_kind::work_stealing;
  config.workers = 2;
  jaegis::sched::work_stealing_executor executor(config);
  state.executor = &executor;
  for (std::size_t i = 0; i < outside; ++i)
    executor.schedule(tasks[i]);

  // A hang guard, not a speed limit: a lost runnable or wake-up fails here instead of at the
  // test's timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  // acquire: see task::run().
  while (state.remaining.load(std::memory_order_acquire) != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "consumer: %zu of %zu runnables never finished\n",
                   state.remaining.load(std::memory_order_relaxed), task_count);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  executor.stop();

  std::size_t bad = 0;
  for (task& t : tasks)
    bad += t.check_and_release() ? 0 : 1;
  std::uint64_t runs = 0;
  for (const auto& c : executor.counters())
    runs += c.runs;
  std::printf(
      "consumer: %zu runnables on %zu workers, %zu not run exactly once; workers counted "
      "%llu runs\n",
      task_count, executor.worker_count(), bad, static_cast<unsigned long long>(runs));
  return bad == 0 ? 0 : 1;
}
