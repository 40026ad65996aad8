#pragma once

// The transport interface: what the remoting layer (transports/) asks of a carrier (TCP, the
// in-memory test carrier, shared memory, RDMA) and what a carrier asks of the remoting layer.
//
// A carrier moves bytes of one connection in order and reliably; it knows nothing of frames,
// actors or the handshake. The remoting layer puts a *session* on every connection: the session
// parses what arrives, and hands out what is to be sent as slices of memory it owns, so that a
// carrier can gather many frames into one system call (writev) or one ring write without copying
// them first.
//
// Threads: a carrier calls a session's receive side (on_bytes) from one thread at a time, and
// its send side (gather, sent) from one thread at a time; the two sides may run at once on
// different threads (a carrier may send on the thread that called wake(), while its I/O thread
// reads). on_closed comes last, after both sides have stopped. Any thread may call
// connection::wake().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace jaegis::net {

/// A piece of memory to be sent, owned by the session until it reports the bytes as sent.
struct io_slice {
  const std::byte* data = nullptr;
  std::size_t size = 0;
};

/// The remoting layer's side of one connection.
class session {
 public:
  virtual ~session() = default;
  /// Bytes arrived, in order, split anywhere.
  virtual void on_bytes(std::span<const std::byte> bytes) = 0;
  /// Fills `out` with the next slices to send, oldest first, and returns how many it filled. The
  /// first slice may be the unsent rest of one handed out before. Zero: nothing to send now (a
  /// later wake() says when there is).
  virtual std::size_t gather(std::span<io_slice> out) = 0;
  /// `bytes` of what gather() handed out, counted from its start, have been sent; the session may
  /// free them.
  virtual void sent(std::size_t bytes) = 0;
  /// The connection is closed (the peer closed it, it broke, or close() finished). The last
  /// call the carrier makes on the session; `reason` is for the log.
  virtual void on_closed(std::string_view reason) = 0;
};

/// The carrier's side of one connection.
class connection {
 public:
  virtual ~connection() = default;
  /// Any thread: the session has something to send. Cheap when the carrier is already sending.
  virtual void wake() noexcept = 0;
  /// Sends what the session still has queued (up to a bounded wait), then closes; on_closed
  /// follows, never before close() has returned (the session may hold locks while it calls
  /// close). Any thread; idempotent.
  virtual void close(std::string_view reason) = 0;
  /// The peer's address, for logs ("127.0.0.1:40312", "mem:b").
  virtual std::string peer_address() const = 0;
};

/// What a carrier reports to the remoting layer about connections it did not know of before.
class session_factory {
 public:
  virtual ~session_factory() = default;
  /// A connection is open: an accepted one (`initiator` false, cookie 0) or one that connect()
  /// asked for (`initiator` true, its cookie). Returns the session the carrier drives from now
  /// on (owned by the remoting layer; valid until on_closed returns).
  virtual session& open_session(connection& c, bool initiator, std::uint64_t cookie) = 0;
  /// The connect() with this cookie failed before a connection existed.
  virtual void connect_failed(std::uint64_t cookie, std::string_view reason) = 0;
};

/// A carrier. Created by the user (or by the remoting layer for the default TCP), started once
/// with the session factory of one node.
class transport {
 public:
  virtual ~transport() = default;
  /// The address scheme it serves: "tcp", "mem", "shm", "rdma".
  virtual std::string_view scheme() const noexcept = 0;
  /// Starts its threads (if any) and reports to `factory` from then on.
  virtual void start(session_factory& factory) = 0;
  /// Accepts connections on `host:port` (port 0 picks a free one); returns the port. Throws
  /// std::invalid_argument (bad address, or a non-loopback address while `authenticated` is
  /// false) or std::system_error.
  virtual std::uint16_t listen(std::string_view host, std::uint16_t port, bool authenticated) = 0;
  /// Opens a connection; open_session or connect_failed follows, with `cookie`.
  virtual void connect(std::string_view host, std::uint16_t port, std::chrono::milliseconds timeout,
                       std::uint64_t cookie) = 0;
  /// Closes every connection (each flushed, as connection::close) and stops. Idempotent.
  virtual void stop() = 0;
};

}  // namespace jaegis::net
