#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace jaegis::samples {

/// Lets a thread outside the actor system wait, with a deadline, until `n` actors have said they
/// are done (like std::latch, which has no timed wait). A remote topology cannot wait with
/// actor_system::await_all_actors_done(): the node's proxies and connection agents are actors too,
/// and they live as long as the connection. What an actor wrote before count_down() is visible to
/// the thread that wait_for() released (the mutex orders them).
class countdown {
 public:
  explicit countdown(std::size_t n) : left_(n) {}

  void count_down() {
    std::lock_guard lock(mutex_);
    if (left_ > 0 && --left_ == 0) reached_.notify_all();
  }

  /// True once the count is zero; false if `timeout` passed first.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock lock(mutex_);
    return reached_.wait_for(lock, timeout, [this] { return left_ == 0; });
  }

  void wait() {
    std::unique_lock lock(mutex_);
    reached_.wait(lock, [this] { return left_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable reached_;
  std::size_t left_;
};

}  // namespace jaegis::samples
