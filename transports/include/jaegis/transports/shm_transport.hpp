#pragma once

// The shared-memory carrier: jaegis::net::transport between processes of one host. Addresses
// are Unix-domain socket paths: listen("shm", "/tmp/node.sock", 0) (returns 0: there is no
// port) and connect_async("shm", "/tmp/node.sock", 0, timeout).
//
// Per connection the initiator makes a sealed memfd with one ring per direction and hands it to
// the responder over the socket (SCM_RIGHTS), with an eventfd for each side's doorbell; the
// socket stays open so that a peer's death (its end closing, also on SIGKILL) closes the
// connection at once. The session's bytes, handshake included, flow through the rings as
// checksummed records (CRC32C); bad ring contents close that connection only, with the reason.
// Design, memory orders and the wake protocol: transports/src/shm/README.md.
//
// Threads: one per connection (it reads the incoming ring, calls the session's on_bytes, and
// sends when the outgoing ring was full), one per listening path. Sending happens on the thread
// that calls wake() when nobody else is sending and the ring has room, as with TCP.
//
// Lifetime: as with TCP, a connection object handed to the session factory stays valid until the
// transport is destroyed; wake() and close() may be called at any time before that. A closed
// connection has unmapped its segment and closed its descriptors.
//
// Security: the socket file's permissions decide who may connect (like a loopback port); the
// handshake then authenticates as over TCP, so a node without a secret may listen here too.

#include <chrono>
#include <cstdint>
#include <functional>
#include <jaegis/framework/transport.hpp>
#include <memory>
#include <string_view>

namespace jaegis::transports {

struct shm_config {
  /// Bytes per ring slot (a multiple of 64, 64 to 65536); 16 of them are the slot's header.
  std::uint32_t slot_size = 256;
  /// Slots per ring (a power of two, 4 to 2^22). Default: 4096 x 256 B = 1 MiB per direction.
  std::uint32_t slot_count = 4096;
  /// The most payload bytes one record carries (it spans consecutive slots).
  std::uint32_t max_record = 64 * 1024;
  /// Polls of the incoming ring before the connection's thread sleeps on its doorbell: a burst
  /// that goes on costs no wake-up, an idle connection no CPU.
  std::uint32_t spin_polls = 1000;
  /// How long close() and stop() keep sending what a session still has queued.
  std::chrono::milliseconds outbound_flush_timeout{2000};
  /// Used when connect() is given a timeout of 0; also bounds an accepted peer's rendezvous.
  std::chrono::milliseconds connect_timeout{5000};
  /// Where the carrier logs what it cannot hand to a session. Empty: standard error.
  std::function<void(std::string_view)> log;
};

/// Throws std::invalid_argument for a bad ring geometry (the message says what is wrong).
std::unique_ptr<jaegis::net::transport> make_shm_transport(shm_config config = {});

}  // namespace jaegis::transports
