#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "jaegis/actors/deferred_reply.hpp"
#include "jaegis/actors/errors.hpp"
#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/send_exit.hpp"

namespace jaegis::actors {

struct pool_config {
  std::size_t workers = 4;
  /// Jobs that may wait for a worker, beyond the `workers` jobs running. A job arriving when all
  /// workers are busy and this many wait is refused at once (reason::overloaded).
  std::size_t queue_capacity = 64;
  /// A job that takes longer fails with request_timeout, and its worker, presumed stuck, is
  /// killed and replaced.
  std::chrono::nanoseconds job_timeout = std::chrono::minutes(1);
};

/// A request to a worker_pool: answered with its pool_stats.
struct get_pool_stats {};
struct pool_stats {
  std::size_t workers = 0;     ///< workers alive
  std::size_t busy = 0;        ///< running a job now
  std::size_t queued = 0;      ///< waiting for a worker now
  std::size_t max_queued = 0;  ///< the most that ever waited at once
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;    ///< the worker threw, stopped or timed out
  std::uint64_t rejected = 0;  ///< refused because the queue was full
  std::uint64_t restarts = 0;  ///< workers replaced
};

/// N workers of class `Worker` behind one address, and a bounded queue in front of them.
///
/// Submit jobs (messages of the types `Jobs...`, which `Worker` handles) as requests: the answer
/// is the worker's answer, or an error. A job goes to an idle worker at once, else waits in a FIFO
/// queue of at most `queue_capacity` jobs; when that is full it is refused at once with
/// is(err, reason::overloaded): backpressure the submitter sees, never a silent drop or an
/// unbounded queue. (A job sent as a plain message gets no answer; a refused one is counted in
/// pool_stats::rejected and the first is logged.)
///
/// Failures: a worker that throws (or stops, or exceeds job_timeout) is replaced by a new one from
/// the factory, and the job it was running fails with the worker's exit reason (for a throw:
/// unhandled_exception with the exception's message; actor_down for a normal stop), or with
/// request_timeout. Jobs are not retried: a job may have had
/// effects before it failed, and only the submitter knows whether running it again is safe.
template <class Worker, class... Jobs>
class worker_pool : public actor<worker_pool<Worker, Jobs...>, Jobs..., get_pool_stats, down_msg> {
 public:
  using factory = std::function<ref<Worker>(actor_system&)>;

  /// `make` spawns one worker (default: system.spawn<Worker>()). Throws std::invalid_argument for
  /// zero workers, a non-positive timeout, or no factory for a Worker without default constructor.
  explicit worker_pool(pool_config config, factory make = nullptr)
      : config_(config), make_(make ? std::move(make) : default_factory()) {
    if (config_.workers == 0) throw std::invalid_argument("worker_pool: zero workers");
    if (config_.job_timeout <= std::chrono::nanoseconds::zero()) {
      throw std::invalid_argument("worker_pool: job_timeout must be positive");
    }
  }

  template <class J>
  requires(std::is_same_v<J, Jobs> || ...) void on(J& job) {
    static_assert(Worker::template accepts<J>, "jaegis: the worker does not accept this job");
    deferred_reply reply = deferred_reply::take(this->cell());
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].busy && slots_[i].worker) return run(i, std::move(job), std::move(reply));
    }
    if (queue_.size() >= config_.queue_capacity) return reject(std::move(reply));
    queue_.push_back(std::make_unique<queued<J>>(std::move(job), std::move(reply)));
    stats_.max_queued = std::max(stats_.max_queued, queue_.size());
  }

  pool_stats on(get_pool_stats&) {
    pool_stats s = stats_;
    s.queued = queue_.size();
    s.workers = s.busy = 0;
    for (const slot& w : slots_) {
      s.workers += w.worker ? 1 : 0;
      s.busy += w.busy ? 1 : 0;
    }
    return s;
  }

  void on(down_msg& d) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].worker.id() != d.source) continue;
      if (slots_[i].busy) {
        // The down may come before the failed request's own answer (system messages take the
        // mailbox's urgent lane): the job fails with the worker's exit reason either way.
        slots_[i].reply.fail(d.reason.is_normal()
                                 ? error(errc::actor_down, "the worker stopped before it answered")
                                 : d.reason);
        ++stats_.failed;
      }
      replace(i);
      next(i);
    }
  }

 protected:
  void on_start() override {
    slots_.resize(config_.workers);
    for (slot& s : slots_) {
      s.worker = make_(this->system());
      this->monitor(s.worker);
    }
  }

 private:
  struct slot {
    ref<Worker> worker;
    bool busy = false;
    deferred_reply reply;  ///< the running job's submitter
  };
  struct job_base {
    virtual ~job_base() = default;
    virtual void run_on(worker_pool& pool, std::size_t slot) = 0;
  };
  template <class J>
  struct queued final : job_base {
    queued(J&& j, deferred_reply r) : job(std::move(j)), reply(std::move(r)) {}
    void run_on(worker_pool& pool, std::size_t slot) override {
      pool.run(slot, std::move(job), std::move(reply));
    }
    J job;
    deferred_reply reply;
  };

  static factory default_factory() {
    if constexpr (std::is_default_constructible_v<Worker>) {
      return [](actor_system& system) { return system.spawn<Worker>(); };
    } else {
      throw std::invalid_argument(
          "worker_pool: the worker class has no default constructor: pass a factory");
    }
  }

  template <class J>
  void run(std::size_t i, J&& job, deferred_reply reply) {
    using R = typename detail::response_of<decltype(std::declval<Worker&>().on(job))>::type;
    slot& s = slots_[i];
    s.busy = true;
    s.reply = std::move(reply);
    const actor_id worker = s.worker.id();
    this->template request<R>(s.worker, std::move(job), config_.job_timeout)
        .then(
            [this, i, worker](R& value) {
              if (slots_[i].worker.id() != worker) return;  // replaced: its job was answered
              ++stats_.completed;
              slots_[i].reply.send(std::move(value));
              next(i);
            },
            [this, i, worker](const error& err) {
              if (slots_[i].worker.id() != worker) return;
              ++stats_.failed;
              slots_[i].reply.fail(err);
              replace(i);
              next(i);
            });
  }

  /// The worker in slot i failed: a new one takes its place (a stuck one is killed first).
  void replace(std::size_t i) {
    slot& s = slots_[i];
    if (s.worker) send_exit(s.worker, error(errc::killed, "replaced by its worker_pool"));
    s.worker = ref<Worker>{};
    s.busy = false;
    try {
      s.worker = make_(this->system());
      this->monitor(s.worker);
      ++stats_.restarts;
    } catch (const std::exception& ex) {
      std::string line = "jaegis::actors::worker_pool: cannot replace a worker: ";
      line += ex.what();
      this->system().log(line);
    }
  }

  /// Slot i is free: it takes the oldest waiting job, if any.
  void next(std::size_t i) {
    slots_[i].busy = false;
    if (queue_.empty() || !slots_[i].worker) return;
    std::unique_ptr<job_base> job = std::move(queue_.front());
    queue_.pop_front();
    job->run_on(*this, i);
  }

  void reject(deferred_reply reply) {
    ++stats_.rejected;
    if (reply) {
      std::string detail = "the worker_pool's queue is full (";
      detail += std::to_string(config_.queue_capacity);
      detail += " jobs wait)";
      reply.fail(make_error(reason::overloaded, detail));
    } else if (stats_.rejected == 1) {
      this->system().log("jaegis::actors::worker_pool: a job sent as a plain message was refused");
    }
  }

  pool_config config_;
  factory make_;
  std::vector<slot> slots_;
  std::deque<std::unique_ptr<job_base>> queue_;
  pool_stats stats_;
};

}  // namespace jaegis::actors
