#pragma once

// One TCP connection: the carrier side of a session.
//
// The send protocol (wake() from any thread, send() on the I/O thread):
//
//   send_requested_ is true while the I/O thread owes the connection another gather(): from the
//   first wake() after it was cleared until the I/O thread has seen gather() return nothing after
//   clearing it.
//
//   wake():  if (!send_requested_.exchange(true)) io_thread.request_send(*this)
//   send():  loop { n = gather(); if n == 0 { clear the flag; n = gather(); if n == 0 return idle;
//                   set the flag again (we are sending after all) }
//                   sendmsg the n slices; sent(bytes); on a full socket wait for EPOLLOUT }
//
//   1. A wake() that finds the flag set does one atomic exchange and nothing else: no lock, no
//      system call, however many messages the session queues while the I/O thread sends.
//   2. The flag is cleared before the final gather(), never after it. Whatever a producer queued
//      before its wake() is therefore either seen by that gather(), or its wake() comes after the
//      clear, finds the flag false and requests another send(). A wake cannot be lost.
//   3. While the socket is full (waiting for EPOLLOUT) or the connection used its send budget for
//      this turn, the flag stays set: producers stay on the cheap path and EPOLLOUT (or the next
//      turn) resumes send().
//   Every access to the flag is a read-modify-write with acq_rel: the I/O thread's clearing
//   exchange reads the last value of a release sequence of RMWs, so it synchronizes with every
//   wake() ordered before it and the final gather() sees what those producers queued. (A plain
//   load on wake()'s fast path would not give that, which is why there is none.)
//
// Sending on the waking thread: the wake() that takes the flag from false to true owns the send
// side until the flag is cleared again, so instead of handing the send to the I/O thread (an
// eventfd write and a context switch: most of a loopback round trip) it sends at once, on its own
// thread, when it can take send_mutex_ without waiting: a short gather / sendmsg / sent loop that
// ends exactly as send() ends when everything went out (flag cleared before the final gather),
// and hands over to the I/O thread (request_send, the flag still set) for everything else: a
// full socket, an error, a used-up budget, a closing connection. send_mutex_ keeps the session's
// send side (gather, sent) on one thread at a time and the socket open while a sender uses it:
// the I/O thread takes it for send() and for finish().
//
// Closing: close() (any thread, idempotent) posts begin_close to the I/O thread, which stops
// reading, keeps sending until gather() has nothing or outbound_flush_timeout passes, then shuts
// the socket down, closes it and calls on_closed once. The peer closing, or a failed read or send,
// closes at once. After that the flag stays set forever, so wake() is one exchange and nothing
// else.

#include <atomic>
#include <chrono>
#include <jaegis/framework/transport.hpp>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "io_thread.hpp"
#include "socket_util.hpp"

namespace jaegis::transports::tcp {

class tcp_connection final : public net::connection, public io_handler {
 public:
  tcp_connection(io_thread& thread, unique_fd fd, std::string peer);

  void wake() noexcept override;
  void close(std::string_view reason) override;
  std::string peer_address() const override { return peer_; }

  // I/O thread only.
  /// Registers the socket and opens the session; false (socket closed, no session) if the
  /// factory threw.
  bool open(bool initiator, std::uint64_t cookie);
  void on_ready(std::uint32_t events) override;
  /// Sends what the session has, within this turn's budget.
  void send();
  void begin_close(const std::string& reason);
  [[nodiscard]] clock::time_point flush_deadline() const noexcept { return flush_deadline_; }
  /// outbound_flush_timeout passed while closing.
  void flush_expired();

 private:
  enum class phase { open, closing, closed };

  void receive();
  void send_unguarded();
  /// The waking thread's attempt (see above); false: the I/O thread must send.
  bool send_inline() noexcept;
  enum class send_outcome { idle, full, failed, budget_used };
  /// The send loop both senders share (the protocol above), holding send_mutex_: up to
  /// send_rounds_per_turn gathered sendmsg calls. idle: all sent, the flag cleared; full: the
  /// socket took less; failed: sendmsg failed (errno in `error`); budget_used: the flag stays set.
  send_outcome send_rounds(std::span<net::io_slice> slices, int& error);
  void wait_for_output();
  void update_interest();
  /// Closes the socket and calls on_closed(reason); once.
  void finish(const std::string& reason);
  void session_failed(const char* what);

  io_thread& thread_;
  unique_fd fd_;
  const std::string peer_;
  std::atomic<bool> send_requested_{true};  // see the protocol above; set until the first send()
  std::atomic<bool> close_requested_{false};
  /// Held by whoever drives the send side (an inline sender, send(), finish()); see above.
  /// Recursive: send() may end in finish().
  std::recursive_mutex send_mutex_;

  // I/O thread only, except that phase_ and session_ are also read by an inline sender, and
  // therefore written under send_mutex_.
  net::session* session_ = nullptr;
  phase phase_ = phase::open;
  bool waiting_for_output_ = false;  // the socket was full: EPOLLOUT resumes send()
  std::uint32_t interest_ = 0;       // the events the epoll set has for the socket
  std::string close_reason_;
  clock::time_point flush_deadline_{};
};

}  // namespace jaegis::transports::tcp
