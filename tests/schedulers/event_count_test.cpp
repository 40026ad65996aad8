#include "jaegis/schedulers/event_count.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "test_support.hpp"

using jaegis::sched::event_count;

TEST_CASE("a notify after prepare_wait makes wait return without sleeping", "[event_count]") {
  event_count ec;
  const auto key = ec.prepare_wait();
  CHECK(ec.waiters() == 1);
  ec.notify_one();
  CHECK_FALSE(ec.wait(key));
  CHECK(ec.waiters() == 0);
}

TEST_CASE("cancel_wait withdraws the announcement", "[event_count]") {
  event_count ec;
  (void)ec.prepare_wait();
  ec.cancel_wait();
  CHECK(ec.waiters() == 0);
}

TEST_CASE("handshake under contention loses no wake-up", "[event_count]") {
  // The consumer sleeps only when it sees no item; the producer publishes then notifies. A lost
  // wake-up would leave the consumer asleep forever and the test would hang (CTest times it out).
  const std::size_t rounds = jaegis::test::scaled(200000);
  event_count ec;
  std::atomic<std::size_t> published{0};
  std::size_t consumed = 0;
  std::thread consumer([&] {
    while (consumed < rounds) {
      // acquire: pairs with the producer's release increment.
      if (published.load(std::memory_order_acquire) > consumed) {
        ++consumed;
        continue;
      }
      const auto key = ec.prepare_wait();
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (published.load(std::memory_order_acquire) > consumed) {
        ec.cancel_wait();
        continue;
      }
      ec.wait(key);
    }
  });
  for (std::size_t i = 0; i < rounds; ++i) {
    // release: the consumer that sees the count may consume.
    published.fetch_add(1, std::memory_order_release);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    ec.notify_one();
    if (i % 64 == 0) std::this_thread::yield();
  }
  consumer.join();
  CHECK(consumed == rounds);
}
