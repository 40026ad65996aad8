#pragma once

// One shared-memory connection: the carrier side of a session, and the thread that drives it.
//
// The thread does the rendezvous (rendezvous.hpp), opens the session, then loops: read the
// incoming ring (records are checked, copied and handed to on_bytes in batches), send when it
// owes a send (the waking thread could not, or the ring was full and has room again), spin
// `spin_polls` times when there was nothing to do, then sleep in poll() on its doorbell and the
// socket.
//
// Sending follows the TCP carrier's protocol (tcp_connection.hpp): send_requested_ is set from
// the first wake() until a sender has seen gather() return nothing *after* clearing it, so wake()
// is one exchange while someone sends, and no wake is lost. The wake() that sets it sends at once
// on its own thread (try-lock of send_mutex_); when the ring is full, the lock is busy or the
// budget is used, it hands the send to the connection's thread (io_send_ plus, if that thread
// announced sleep, its doorbell). A full ring is like a full socket: the flag stays set, the
// thread marks itself waiting in the ring (writer_waiting) and sleeps until the peer's reader
// frees slots and rings it. No sender ever blocks on a full ring, so two processes that both
// write fast cannot deadlock: each one's thread keeps reading while its sends wait.
//
// Sleeping (no lost wake-up): before it sleeps the thread sets its flags (reader_sleeping in the
// incoming ring, writer_waiting in the outgoing one if it waits for room, asleep_ for local
// threads), each followed by a seq_cst fence, then checks again for work (a record, room, a send
// or close request), and only then polls. A waker makes its change visible, fences, and reads
// the flag: either it sees the flag and rings the eventfd (which stays readable until drained,
// so a ring before the poll still wakes it), or the sleeper's check sees the change.
//
// Peer death: the socket is in every poll; its end (the peer closed it or its process died)
// makes the thread read what is still in the ring, then close with "the peer closed the
// connection" (the peer marked reader_closed first) or "peer process gone".

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <jaegis/framework/transport.hpp>
#include <jaegis/transports/shm_transport.hpp>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rendezvous.hpp"
#include "shm_ring.hpp"

namespace jaegis::transports::shm {

/// What the connections and listeners of one transport share.
struct carrier {
  shm_config config;
  ring_geometry geometry;
  net::session_factory* factory = nullptr;
  void log(std::string_view message) const;
};

/// The carrier whose thread this is (nullptr on other threads): stop() must not join itself.
inline thread_local const carrier* current_carrier = nullptr;

class shm_connection final : public net::connection {
 public:
  /// `initiator`: connect to `path` (cookie reported back); otherwise `socket` is accepted.
  shm_connection(carrier& owner, unique_fd socket, std::string path, bool initiator,
                 std::uint64_t cookie, std::chrono::milliseconds timeout);
  ~shm_connection() override;
  shm_connection(const shm_connection&) = delete;
  shm_connection& operator=(const shm_connection&) = delete;

  void start();
  void join();

  void wake() noexcept override;
  void close(std::string_view reason) override;
  std::string peer_address() const override;

 private:
  enum class phase { connecting, open, closing, closed };

  void run() noexcept;
  /// Rendezvous and session; false: nothing opened (connect_failed / logged).
  bool establish();
  void loop();
  /// Reads and delivers (or, closing, discards) what is in the ring; true if anything was read.
  bool receive();
  void send();
  void send_unguarded();
  bool send_inline() noexcept;
  /// Copies up to `count` slices into the ring; returns the bytes written.
  std::size_t write_slices(std::span<const net::io_slice> slices, std::size_t& total);
  void request_io_send() noexcept;
  void sleep();
  void begin_close();
  /// The peer's socket ended: deliver what is left, then close.
  void peer_gone();
  void finish(const std::string& reason);
  void session_failed(const char* what);

  carrier& owner_;
  unique_fd socket_;
  const std::string path_;
  const bool initiator_;
  const std::uint64_t cookie_;
  const std::chrono::milliseconds timeout_;
  unique_fd own_bell_;  ///< our eventfd: the peer and local threads ring it
  std::thread thread_;

  // Set by establish(), before the session exists; unmapped by finish().
  mapping segment_;
  unique_fd peer_bell_;
  ring_writer out_;
  ring_reader in_;
  std::string peer_;  ///< "shm:/path (pid 5, uid 0)"; fixed once the session is opened

  std::atomic<bool> send_requested_{true};  ///< see the protocol above; set until opened
  std::atomic<bool> io_send_{false};        ///< the thread owes a send()
  std::atomic<bool> close_requested_{false};
  std::atomic<bool> asleep_{false};  ///< the thread is (about to be) in poll()
  std::mutex reason_mutex_;
  std::string requested_reason_;  ///< guarded by reason_mutex_

  /// Held by whoever drives the send side (an inline sender, send(), finish()); recursive:
  /// send() may end in finish().
  std::recursive_mutex send_mutex_;
  // Written under send_mutex_ (inline senders read them); otherwise the thread's own.
  net::session* session_ = nullptr;
  phase phase_ = phase::connecting;

  // The thread's own.
  bool blocked_ = false;  ///< the outgoing ring was full
  std::string close_reason_;
  clock::time_point flush_deadline_{};
  std::vector<std::byte> inbox_;
};

}  // namespace jaegis::transports::shm
