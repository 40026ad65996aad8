#pragma once

// The rendezvous of the shared-memory carrier: a Unix-domain SOCK_SEQPACKET socket on which the
// initiator hands the responder a memfd with the connection's segment (both rings) and its
// doorbell (an eventfd), and the responder answers with its own doorbell. The socket then stays
// open and silent: its end is how each side learns at once that the other is gone.
//
// The memfd is created per connection, sealed against shrinking and growing (a peer that could
// shrink it would make our next access to the mapping a SIGBUS), and checked by the responder
// (seals, size, header) before it uses it. A doorbell received from the peer must be an eventfd
// (a pipe could block the writer); it is made non-blocking.

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <utility>

#include "../tcp/socket_util.hpp"
#include "shm_ring.hpp"

namespace jaegis::transports::shm {

using tcp::unique_fd;
using clock = std::chrono::steady_clock;

/// A MAP_SHARED mapping, unmapped on destruction.
class mapping {
 public:
  mapping() = default;
  mapping(void* base, std::size_t size) noexcept : base_(base), size_(size) {}
  mapping(mapping&& other) noexcept
      : base_(std::exchange(other.base_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  mapping& operator=(mapping&& other) noexcept {
    if (this != &other) {
      reset();
      base_ = std::exchange(other.base_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  mapping(const mapping&) = delete;
  mapping& operator=(const mapping&) = delete;
  ~mapping() { reset(); }
  void reset() noexcept;
  [[nodiscard]] std::span<std::byte> bytes() const noexcept {
    return {static_cast<std::byte*>(base_), size_};
  }
  [[nodiscard]] explicit operator bool() const noexcept { return base_ != nullptr; }

 private:
  void* base_ = nullptr;
  std::size_t size_ = 0;
};

/// What a finished rendezvous leaves to the connection.
struct rendezvous_result {
  mapping segment;
  ring_geometry geometry;
  unique_fd peer_bell;    ///< the peer's eventfd: written to wake it
  int direction_out = 0;  ///< the ring this side writes (0 for the initiator)
};

/// Checks a socket path: non-empty and short enough for sockaddr_un; throws
/// std::invalid_argument naming it.
void check_socket_path(std::string_view path);

/// Binds and listens on `path` (SOCK_SEQPACKET, non-blocking, close-on-exec). A socket file
/// nobody listens on (connect says ECONNREFUSED) is stale and replaced; a live one, or a file
/// that is not a socket, is refused (std::system_error / std::invalid_argument, naming the path).
unique_fd listen_unix(const std::string& path);

/// Connects to `path` before `deadline`; throws std::runtime_error with the reason.
unique_fd connect_unix(const std::string& path, clock::time_point deadline);

/// "pid 1234, uid 1000" of the socket's peer (SO_PEERCRED), for logs.
std::string peer_credentials(int socket);

/// A fresh non-blocking eventfd; throws std::system_error.
unique_fd make_doorbell();
/// Wakes the side that polls `bell` (one write; never blocks).
void ring_doorbell(int bell) noexcept;
/// Empties `bell` after a wake-up.
void drain_doorbell(int bell) noexcept;

/// The initiator's half: makes the segment (sealed memfd), sends it with `own_bell`, receives
/// the responder's bell. `cancel`: an fd whose readability aborts the wait (the connection's own
/// bell: close() and stop() ring it). Throws std::runtime_error with the reason.
rendezvous_result rendezvous_initiator(int socket, const ring_geometry& geometry, int own_bell,
                                       clock::time_point deadline, int cancel);
/// The responder's half: receives and checks the segment and the initiator's bell, sends
/// `own_bell`. Throws std::runtime_error with the reason.
rendezvous_result rendezvous_responder(int socket, int own_bell, clock::time_point deadline,
                                       int cancel);

}  // namespace jaegis::transports::shm
