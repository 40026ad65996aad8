#pragma once

// One I/O thread of the TCP carrier: an epoll set, an eventfd, and the loop that drives the
// listeners, pending connects and connections assigned to it.
//
// Other threads reach it in two ways, both through one mutex and the eventfd:
// - commands (listen, connect, close, stop, an accepted socket handed over): a std::function run
//   on the I/O thread;
// - send requests: the connection to flush, pushed by connection::wake() on the flag's false to
//   true transition only (tcp_connection.hpp), so a busy connection costs no lock and no syscall.
// A producer writes the eventfd only when it finds both lists empty: one write per batch of
// requests, and the I/O thread reads the eventfd before it swaps the lists out, so a request that
// arrives after the swap finds them empty and writes again.
//
// epoll is level-triggered: reads and sends stop after a per-turn budget so that one busy
// connection cannot starve the others, and level triggering reports what is left on the next turn
// with no bookkeeping of "drained or not". EPOLLOUT is in a connection's interest set only while
// its socket is full, so level triggering costs no spurious wake-ups.
//
// Stopping: a stop command closes the listeners, fails pending connects and begins a flushed close
// of every connection; the loop ends once no connection is left open. Commands that arrive after
// (a socket another thread accepted, a late close()) run in run_leftovers() after the join, with
// the thread marked stopping: they close sockets and open no session.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <jaegis/framework/transport.hpp>
#include <jaegis/transports/tcp_transport.hpp>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "socket_util.hpp"

namespace jaegis::transports::tcp {

class io_thread;
class tcp_connection;

using clock = std::chrono::steady_clock;

/// What the I/O threads of one transport share. Fixed before the threads start.
struct carrier {
  tcp_config config;
  net::session_factory* factory = nullptr;
  std::vector<std::unique_ptr<io_thread>> threads;
  std::atomic<std::size_t> next_thread{0};

  /// The thread for a new connection or listener: round-robin.
  io_thread& pick() noexcept;
  void log(std::string_view message) const;
};

/// Something in an epoll set; the epoll data pointer points to it.
class io_handler {
 public:
  virtual ~io_handler() = default;
  virtual void on_ready(std::uint32_t events) = 0;
};

class io_thread {
 public:
  /// Slices one gather() may fill: what one sendmsg takes (well under IOV_MAX, 1024), and enough
  /// that a send of small frames is one system call per 64 of them.
  static constexpr std::size_t max_slices = 64;

  explicit io_thread(carrier& owner);
  ~io_thread();
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  void start();
  /// Any thread: runs `command` on the I/O thread (or in run_leftovers()).
  void post(std::function<void()> command);
  /// Any thread: `c` has something to send (wake()'s slow path).
  void request_send(tcp_connection& c) noexcept;
  void request_stop();
  void join();
  /// After join(): runs what was posted after the loop ended.
  void run_leftovers();
  [[nodiscard]] bool is_current() const noexcept;

  // The rest is for the I/O thread only.
  void add_listener(unique_fd fd, std::string name);
  void start_connect(std::vector<socket_address> addresses, std::chrono::milliseconds timeout,
                     std::uint64_t cookie);
  /// A connected socket: makes a connection and opens its session.
  void adopt(unique_fd fd, std::string peer, bool initiator, std::uint64_t cookie);

  void watch(int fd, std::uint32_t events, io_handler* handler);
  void rewatch(int fd, std::uint32_t events, io_handler* handler);
  void unwatch(int fd) noexcept;

  /// `c` used its send budget: continue it on the next turn.
  void send_later(tcp_connection& c) { send_later_.push_back(&c); }
  void track_closing(tcp_connection& c) { closing_.push_back(&c); }
  /// `c` is closed (its socket is gone, on_closed is next).
  void connection_closed(tcp_connection& c);

  [[nodiscard]] std::span<net::io_slice> slices() noexcept { return slices_; }
  [[nodiscard]] std::span<std::byte> receive_buffer() noexcept { return receive_buffer_; }
  [[nodiscard]] const carrier& owner() const noexcept { return owner_; }

 private:
  struct listener;
  struct pending_connect;

  void run();
  void take_requests();
  void begin_stop();
  [[nodiscard]] int wait_timeout_ms() const;
  void expire(clock::time_point now);
  void accept_ready(listener& l);
  void try_next_address(pending_connect& p);
  void connect_ready(pending_connect& p);
  void connect_failed(pending_connect& p, const std::string& reason);
  /// Removes a pending connect (closing its socket if it has one).
  void forget(pending_connect& p);
  void retire(std::unique_ptr<io_handler> handler) { retired_.push_back(std::move(handler)); }

  carrier& owner_;
  unique_fd epoll_;
  unique_fd wake_fd_;  // eventfd: commands and send requests are waiting
  std::thread thread_;
  std::thread::id id_;  // thread_'s, kept apart: join() resets thread_ while stop() may ask

  std::mutex mutex_;
  std::vector<std::function<void()>> commands_;  // guarded by mutex_
  std::vector<tcp_connection*> send_requests_;   // guarded by mutex_

  // I/O thread only (and run_leftovers after the join).
  bool stopping_ = false;
  std::vector<std::unique_ptr<tcp_connection>> connections_;  // every one ever made: see lifetime
  std::size_t open_connections_ = 0;
  std::vector<tcp_connection*> send_later_;
  std::vector<tcp_connection*> closing_;
  std::vector<std::unique_ptr<listener>> listeners_;
  std::vector<std::unique_ptr<pending_connect>> connecting_;
  // Handlers removed during a turn: kept until the turn's events are handled, as a later event of
  // the same epoll_wait may still point to them.
  std::vector<std::unique_ptr<io_handler>> retired_;
  std::vector<net::io_slice> slices_;
  std::vector<std::byte> receive_buffer_;
};

}  // namespace jaegis::transports::tcp
