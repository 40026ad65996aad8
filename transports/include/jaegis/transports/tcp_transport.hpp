#pragma once

// The TCP carrier: jaegis::net::transport over non-blocking sockets, one epoll loop per I/O thread.
//
// What it promises (beyond net::transport):
// - Every socket has TCP_NODELAY (frames are latency-bound and the session batches them itself,
//   so Nagle would only add delay); listeners have SO_REUSEADDR (a restarted node can rebind its
//   port while old connections sit in TIME_WAIT).
// - Sending costs no system call per message under load: connection::wake() is one atomic
//   exchange while the I/O thread is already sending, and the I/O thread sends up to 64 of the
//   session's slices with one sendmsg (a writev that cannot raise SIGPIPE).
// - Connections are spread round-robin over `io_threads` threads; a session's methods are called
//   from its connection's thread only, one at a time.
// - listen() refuses a non-loopback address unless the caller says the node has a secret.
// - "localhost" means 127.0.0.1 (no resolver, no IPv6 surprise); other names are looked up with
//   getaddrinfo in the thread that calls listen() or connect(): pass an address literal where a
//   caller must not block on DNS.
//
// Lifetime: a connection object handed to the session factory stays valid until the transport is
// destroyed, so connection::wake() and close() may be called at any time before that, also after
// on_closed (they do nothing then). A closed connection keeps only a few hundred bytes (its socket
// is closed and it owns no buffer: reads go to its I/O thread's buffer).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <jaegis/framework/transport.hpp>
#include <memory>
#include <string_view>

namespace jaegis::transports {

struct tcp_config {
  /// Threads that run epoll loops. One keeps a node's sends and receives on one core's cache;
  /// more spread many busy connections (each connection stays on one thread).
  std::size_t io_threads = 1;
  /// How long close() and stop() keep sending what a session still has queued before closing
  /// anyway (a peer that stopped reading must not hold a node's shutdown forever).
  std::chrono::milliseconds outbound_flush_timeout{2000};
  /// Used when connect() is given a timeout of 0.
  std::chrono::milliseconds connect_timeout{5000};
  /// Bytes asked of one read(); one buffer of this size per I/O thread. 64 KiB is what a loopback
  /// or LAN socket typically has ready after a burst, so one read drains it.
  std::size_t receive_buffer = 64 * 1024;
  /// Where the carrier reports what it cannot hand to a session (accept failures, a session that
  /// threw). Empty: standard error.
  std::function<void(std::string_view)> log;
};

class tcp_transport final : public jaegis::net::transport {
 public:
  /// Throws std::invalid_argument for a zero io_threads or receive_buffer.
  explicit tcp_transport(tcp_config config = {});
  ~tcp_transport() override;  // stop()s
  tcp_transport(const tcp_transport&) = delete;
  tcp_transport& operator=(const tcp_transport&) = delete;

  std::string_view scheme() const noexcept override { return "tcp"; }
  /// Starts the I/O threads. Once only (std::logic_error otherwise).
  void start(jaegis::net::session_factory& factory) override;
  /// Binds and listens in the calling thread (errors are thrown here), then hands the listener to
  /// an I/O thread. Host: "localhost", an IPv4 or IPv6 literal (optionally in brackets) or a name.
  std::uint16_t listen(std::string_view host, std::uint16_t port, bool authenticated) override;
  /// Throws std::invalid_argument for a malformed host; everything else (no such name, refused,
  /// timed out) comes as connect_failed. A timeout of 0 means tcp_config::connect_timeout.
  void connect(std::string_view host, std::uint16_t port, std::chrono::milliseconds timeout,
               std::uint64_t cookie) override;
  /// Closes every connection (flushed as close()), fails pending connects, joins the threads.
  /// Idempotent. Must not be called from a session callback (it joins the calling thread).
  void stop() override;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

std::unique_ptr<jaegis::net::transport> make_tcp_transport(tcp_config config = {});

}  // namespace jaegis::transports
