#pragma once

// Test sessions for carrier tests (TCP, shared memory): a session that collects what arrives and
// sends what producers queue (and echoes, if asked), and a factory that owns the sessions and
// records connect failures. They speak no protocol: the carrier moves bytes only.

#include <atomic>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <jaegis/framework/transport.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace carrier_test {

namespace net = jaegis::net;
using jaegis::test::eventually;

using bytes = std::vector<std::byte>;

/// Collects what arrives; sends what producers queue; echoes if asked to.
class test_session final : public net::session {
 public:
  test_session(net::connection& c, bool echo) : connection(c), echo_(echo) {}

  /// Any thread: queue `data` and wake the carrier, as the remoting layer will.
  void send(std::span<const std::byte> data) {
    {
      std::lock_guard lock(mutex_);
      outbox_.emplace_back(data.begin(), data.end());
    }
    connection.wake();
  }

  void on_bytes(std::span<const std::byte> data) override {
    {
      std::lock_guard lock(mutex_);
      received_.insert(received_.end(), data.begin(), data.end());
      if (echo_) outbox_.emplace_back(data.begin(), data.end());
    }
    if (echo_) connection.wake();
  }

  std::size_t gather(std::span<net::io_slice> out) override {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (auto it = outbox_.begin(); it != outbox_.end() && n < out.size(); ++it, ++n) {
      const std::size_t skip = n == 0 ? head_sent_ : 0;
      out[n] = {it->data() + skip, it->size() - skip};
    }
    return n;
  }

  void sent(std::size_t count) override {
    std::lock_guard lock(mutex_);
    while (count > 0) {
      const std::size_t left = outbox_.front().size() - head_sent_;
      if (count < left) {
        head_sent_ += count;
        return;
      }
      count -= left;
      head_sent_ = 0;
      outbox_.pop_front();
    }
  }

  void on_closed(std::string_view reason) override {
    {
      std::lock_guard lock(mutex_);
      close_reason_ = reason;
    }
    closed_.fetch_add(1, std::memory_order_release);  // release: publishes close_reason_
  }

  std::size_t received_size() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }
  bytes received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int closed_count() const { return closed_.load(std::memory_order_acquire); }  // pairs above
  std::string close_reason() {
    std::lock_guard lock(mutex_);
    return close_reason_;
  }

  net::connection& connection;

 private:
  const bool echo_;
  std::mutex mutex_;
  std::deque<bytes> outbox_;   // deque: gathered buffers stay put while producers append
  std::size_t head_sent_ = 0;  // bytes of outbox_.front() already sent
  bytes received_;
  std::string close_reason_;
  std::atomic<int> closed_{0};
};

/// Owns every session; records connect failures. Declared before the transport in each test, so
/// that it outlives the transport's threads.
class test_factory final : public net::session_factory {
 public:
  explicit test_factory(bool echo_accepted = false) : echo_accepted_(echo_accepted) {}

  net::session& open_session(net::connection& c, bool initiator, std::uint64_t cookie) override {
    auto session = std::make_unique<test_session>(c, !initiator && echo_accepted_);
    std::lock_guard lock(mutex_);
    auto& s = *session;
    sessions_.push_back(std::move(session));
    if (initiator) {
      initiated_[cookie] = &s;
    } else {
      accepted_.push_back(&s);
    }
    return s;
  }

  void connect_failed(std::uint64_t cookie, std::string_view reason) override {
    std::lock_guard lock(mutex_);
    failures_[cookie] = std::string(reason);
  }

  test_session& connected(std::uint64_t cookie) {
    test_session* found = nullptr;
    REQUIRE(eventually([&] {
      std::lock_guard lock(mutex_);
      const auto it = initiated_.find(cookie);
      found = it == initiated_.end() ? nullptr : it->second;
      return found != nullptr;
    }));
    return *found;
  }

  test_session& accepted(std::size_t index) {
    REQUIRE(eventually([&] { return accepted_count() > index; }));
    std::lock_guard lock(mutex_);
    return *accepted_[index];
  }

  std::size_t accepted_count() {
    std::lock_guard lock(mutex_);
    return accepted_.size();
  }

  std::string failure(std::uint64_t cookie) {
    std::string reason;
    REQUIRE(eventually([&] {
      std::lock_guard lock(mutex_);
      const auto it = failures_.find(cookie);
      if (it != failures_.end()) reason = it->second;
      return it != failures_.end();
    }));
    return reason;
  }

  std::vector<test_session*> all() {
    std::lock_guard lock(mutex_);
    std::vector<test_session*> out;
    for (auto& s : sessions_)
      out.push_back(s.get());
    return out;
  }

 private:
  const bool echo_accepted_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<test_session>> sessions_;
  std::map<std::uint64_t, test_session*> initiated_;
  std::vector<test_session*> accepted_;
  std::map<std::uint64_t, std::string> failures_;
};

}  // namespace carrier_test
