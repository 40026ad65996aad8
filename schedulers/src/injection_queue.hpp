#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstddef>

#include "jaegis/schedulers/runnable.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define JAEGIS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#include <sanitizer/tsan_interface.h>
#define JAEGIS_TSAN 1
#endif
#endif

namespace jaegis::sched::detail {

/// The global injection queue: moodycamel's MPMC ConcurrentQueue of runnable pointers.
///
/// moodycamel publishes items with relaxed operations and standalone fences, which
/// ThreadSanitizer does not model: it reports false races inside the queue and cannot see that an
/// enqueue happens before the dequeue of the same item. Under TSan this wrapper states that edge
/// itself (release on the item before enqueue, acquire after dequeue), so races in the runnables'
/// own data are still found; the queue's internal reports are suppressed (see topology.cpp).
class injection_queue {
 public:
  using consumer_token = moodycamel::ConsumerToken;

  consumer_token make_consumer() { return consumer_token(queue_); }

  void push(runnable* r) {
    publish(r);
    queue_.enqueue(r);
  }

  void push_bulk(runnable** items, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i)
      publish(items[i]);
    queue_.enqueue_bulk(items, count);
  }

  std::size_t pop_bulk(consumer_token& token, runnable** out, std::size_t max) {
    const std::size_t n = queue_.try_dequeue_bulk(token, out, max);
    for (std::size_t i = 0; i < n; ++i)
      receive(out[i]);
    return n;
  }

  bool pop(consumer_token& token, runnable*& out) {
    if (!queue_.try_dequeue(token, out)) return false;
    receive(out);
    return true;
  }

  std::size_t size_approx() const { return queue_.size_approx(); }

 private:
  static void publish([[maybe_unused]] runnable* r) noexcept {
#ifdef JAEGIS_TSAN
    __tsan_release(r);
#endif
  }
  static void receive([[maybe_unused]] runnable* r) noexcept {
#ifdef JAEGIS_TSAN
    __tsan_acquire(r);
#endif
  }

  moodycamel::ConcurrentQueue<runnable*> queue_;
};

}  // namespace jaegis::sched::detail
