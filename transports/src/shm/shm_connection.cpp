#include "shm_connection.hpp"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <exception>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace jaegis::transports::shm {

using tcp::concat;

namespace {

/// gather() slices per send round: what one ring write takes.
constexpr std::size_t max_slices = 64;
/// Send rounds per turn before the thread reads again (and an inline sender hands over).
constexpr int send_rounds_per_turn = 16;
/// Bytes the thread copies out of the ring before one on_bytes (at least one max_record).
constexpr std::size_t receive_batch = 256 * 1024;

void cpu_relax() noexcept {
#if defined(__x86_64__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

void carrier::log(std::string_view message) const {
  if (config.log) {
    config.log(message);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  }
}

shm_connection::shm_connection(carrier& owner, unique_fd socket, std::string path, bool initiator,
                               std::uint64_t cookie, std::chrono::milliseconds timeout)
    : owner_(owner),
      socket_(std::move(socket)),
      path_(std::move(path)),
      initiator_(initiator),
      cookie_(cookie),
      timeout_(timeout),
      own_bell_(make_doorbell()),
      peer_(concat("shm:", path_)) {}

shm_connection::~shm_connection() {
  join();
}

void shm_connection::start() {
  thread_ = std::thread([this] { run(); });
}

void shm_connection::join() {
  if (thread_.joinable()) thread_.join();
}

std::string shm_connection::peer_address() const {
  return peer_;
}

// ---- the thread --------------------------------------------------------------------------------

void shm_connection::run() noexcept {
  current_carrier = &owner_;
  try {
    if (!establish()) return;
    loop();
  } catch (const std::exception& e) {
    // A safety net: session exceptions are caught where they are called.
    owner_.log(concat("jaegis shm: connection ", peer_, ": ", e.what()));
    finish(concat("carrier error: ", e.what()));
  }
}

bool shm_connection::establish() {
  const auto deadline = clock::now() + timeout_;
  rendezvous_result r;
  try {
    if (initiator_) {
      socket_ = connect_unix(path_, deadline);
      r = rendezvous_initiator(socket_.get(), owner_.geometry, own_bell_.get(), deadline,
                               own_bell_.get());
    } else {
      r = rendezvous_responder(socket_.get(), own_bell_.get(), deadline, own_bell_.get());
    }
    peer_ = concat("shm:", path_, " (", peer_credentials(socket_.get()), ")");
  } catch (const std::exception& e) {
    socket_.reset();
    {
      std::lock_guard lock(send_mutex_);
      phase_ = phase::closed;
    }
    if (initiator_) {
      owner_.factory->connect_failed(cookie_, e.what());
    } else {
      owner_.log(concat("jaegis shm: rendezvous on ", path_, " failed: ", e.what()));
    }
    return false;
  }
  // relaxed: this thread's own flag; close() may race, and is seen by the loop anyway.
  if (close_requested_.load(std::memory_order_relaxed)) {
    socket_.reset();
    {
      std::lock_guard lock(send_mutex_);
      phase_ = phase::closed;
    }
    if (initiator_) owner_.factory->connect_failed(cookie_, "the shm transport stopped");
    return false;
  }
  segment_ = std::move(r.segment);
  peer_bell_ = std::move(r.peer_bell);
  out_ = ring_writer(ring_at(segment_.bytes(), r.geometry, r.direction_out), r.geometry);
  in_ = ring_reader(ring_at(segment_.bytes(), r.geometry, 1 - r.direction_out), r.geometry);
  inbox_.reserve(std::max<std::size_t>(receive_batch, r.geometry.max_record));

  net::session* session = nullptr;
  try {
    session = &owner_.factory->open_session(*this, initiator_, cookie_);
  } catch (const std::exception& e) {
    owner_.log(concat("jaegis shm: cannot open a session for ", peer_, ": ", e.what()));
    in_.mark_closed();
    socket_.reset();
    segment_.reset();
    {
      std::lock_guard lock(send_mutex_);
      phase_ = phase::closed;
    }
    if (initiator_) owner_.factory->connect_failed(cookie_, "the session factory failed");
    return false;
  }
  {
    std::lock_guard lock(send_mutex_);
    session_ = session;
    phase_ = phase::open;
  }
  send();  // the session may have queued its first bytes (a hello) in open_session
  return true;
}

void shm_connection::loop() {
  std::uint32_t idle = 0;
  while (phase_ != phase::closed) {
    // acquire: pairs with close()'s release of the reason.
    if (phase_ == phase::open && close_requested_.load(std::memory_order_acquire)) begin_close();
    if (phase_ == phase::closed) return;
    bool progress = receive();
    if (phase_ == phase::closed) return;
    // acq_rel: takes the request and what the requester queued before it.
    if (io_send_.exchange(false, std::memory_order_acq_rel)) {
      send();
      progress = true;
    } else if (blocked_ && out_.has_space()) {
      blocked_ = false;
      send();
      progress = true;
    }
    if (phase_ == phase::closed) return;
    if (phase_ == phase::closing && clock::now() >= flush_deadline_) {
      std::string reason = close_reason_;
      reason += " (unsent data dropped after ";
      reason += std::to_string(owner_.config.outbound_flush_timeout.count());
      reason += " ms)";
      finish(reason);
      return;
    }
    if (progress) {
      idle = 0;
    } else if (++idle < owner_.config.spin_polls) {
      cpu_relax();
    } else {
      idle = 0;
      sleep();
    }
  }
}

bool shm_connection::receive() {
  inbox_.clear();
  const read_result r = in_.read(inbox_, inbox_.capacity());
  if (r.records > 0) {
    in_.commit();
    if (in_.writer_waiting()) ring_doorbell(peer_bell_.get());
  }
  if (r.bytes > 0 && phase_ == phase::open) {
    try {
      session_->on_bytes(inbox_);
    } catch (const std::exception& e) {
      session_failed(e.what());
      return true;
    }
  }
  if (r.error && phase_ != phase::closed) {
    const std::string reason = concat("bad shared-memory ring contents: ", r.reason);
    owner_.log(concat("jaegis shm: connection ", peer_, ": ", reason));
    finish(reason);
  }
  return r.records > 0;
}

void shm_connection::sleep() {
  // seq_cst: the Dekker pair with request_io_send / close (local wakers).
  asleep_.store(true, std::memory_order_seq_cst);
  in_.set_sleeping(true);
  if (blocked_) out_.set_waiting(true);
  const bool work = in_.ready() || io_send_.load(std::memory_order_seq_cst) ||  // seq_cst: above
                    (phase_ == phase::open && close_requested_.load(std::memory_order_seq_cst)) ||
                    (blocked_ && out_.has_space());
  bool gone = false;
  if (!work) {
    int timeout = -1;
    if (phase_ == phase::closing) {
      timeout = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(flush_deadline_ - clock::now()).count()));
    }
    std::array<pollfd, 2> fds{{{socket_.get(), POLLIN, 0}, {own_bell_.get(), POLLIN, 0}}};
    const int n = ::poll(fds.data(), fds.size(), timeout);
    if (n > 0) {
      if ((fds[1].revents & POLLIN) != 0) drain_doorbell(own_bell_.get());
      if (fds[0].revents != 0) gone = true;
    }
  }
  if (blocked_) out_.set_waiting(false);
  in_.set_sleeping(false);
  asleep_.store(false, std::memory_order_relaxed);  // relaxed: a spurious ring is harmless
  if (gone) peer_gone();
}

void shm_connection::peer_gone() {
  // The socket carries nothing after the rendezvous: readable means closed (or a peer that
  // breaks the protocol, which we treat the same).
  std::byte probe[16];
  const ssize_t n = ::recv(socket_.get(), probe, sizeof probe, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;  // spurious
  // What the peer published before it went is delivered first (a goodbye, the last frames).
  while (phase_ != phase::closed && receive()) {
  }
  if (phase_ == phase::closed) return;
  if (n > 0) {
    const std::string reason = "unexpected bytes on the rendezvous socket";
    owner_.log(concat("jaegis shm: connection ", peer_, ": ", reason));
    finish(reason);
  } else {
    finish(out_.reader_closed() ? "the peer closed the connection"
                                : "peer process gone (its socket closed without a close)");
  }
}

// ---- sending -----------------------------------------------------------------------------------

void shm_connection::wake() noexcept {
  // acq_rel: releases what the caller queued to the clearing exchange; true means a sender will
  // still gather it (the TCP carrier's protocol, point 2).
  if (send_requested_.exchange(true, std::memory_order_acq_rel)) return;
  if (!send_inline()) request_io_send();
}

void shm_connection::request_io_send() noexcept {
  // seq_cst: the Dekker pair with sleep(): either it sees the request or we see it asleep.
  io_send_.store(true, std::memory_order_seq_cst);
  if (asleep_.load(std::memory_order_seq_cst)) ring_doorbell(own_bell_.get());
}

std::size_t shm_connection::write_slices(std::span<const net::io_slice> slices,
                                         std::size_t& total) {
  std::array<std::span<const std::byte>, max_slices> pieces{};
  total = 0;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    pieces[i] = {slices[i].data, slices[i].size};
    total += slices[i].size;
  }
  const std::size_t written = out_.write(std::span(pieces).first(slices.size()));
  if (written > 0 && out_.reader_sleeping()) ring_doorbell(peer_bell_.get());
  return written;
}

bool shm_connection::send_inline() noexcept {
  std::unique_lock lock(send_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || phase_ != phase::open || session_ == nullptr) return false;
  thread_local std::array<net::io_slice, max_slices> slices{};
  try {
    for (int round = 0; round < send_rounds_per_turn; ++round) {
      std::size_t count = session_->gather(slices);
      if (count == 0) {
        // acq_rel: cleared before the final gather; acquire sees what earlier wakers queued.
        send_requested_.exchange(false, std::memory_order_acq_rel);
        count = session_->gather(slices);
        if (count == 0) return true;  // all sent: idle
        // acq_rel: as above; we own the send side again.
        send_requested_.exchange(true, std::memory_order_acq_rel);
      }
      std::size_t total = 0;
      const std::size_t written = write_slices(std::span(slices).first(count), total);
      if (written > 0) session_->sent(written);
      if (written < total) return false;  // ring full: the thread waits for room
    }
  } catch (...) {
    return false;  // the thread's send() meets the same failure and reports it
  }
  return false;  // budget used: the thread goes on (the flag is still set)
}

void shm_connection::send() {
  std::lock_guard lock(send_mutex_);
  if (phase_ == phase::closed || phase_ == phase::connecting || blocked_) return;
  try {
    send_unguarded();
  } catch (const std::exception& e) {
    session_failed(e.what());
  }
}

void shm_connection::send_unguarded() {
  std::array<net::io_slice, max_slices> slices{};
  for (int round = 0; round < send_rounds_per_turn; ++round) {
    std::size_t count = session_->gather(slices);
    if (count == 0) {
      // acq_rel: as in send_inline.
      send_requested_.exchange(false, std::memory_order_acq_rel);
      count = session_->gather(slices);
      if (count == 0) {
        if (phase_ == phase::closing) finish(close_reason_);
        return;
      }
      // acq_rel: as above.
      send_requested_.exchange(true, std::memory_order_acq_rel);
    }
    std::size_t total = 0;
    const std::size_t written = write_slices(std::span(slices).first(count), total);
    if (written > 0) session_->sent(written);
    if (written < total) {
      blocked_ = true;  // the flag stays set; the loop resumes when the peer frees slots
      return;
    }
  }
  // Budget used (the flag stays set): come back after reading. relaxed: our own flag.
  io_send_.store(true, std::memory_order_relaxed);
}

// ---- closing -----------------------------------------------------------------------------------

void shm_connection::close(std::string_view reason) {
  {
    std::lock_guard lock(reason_mutex_);
    if (close_requested_.load(std::memory_order_relaxed)) return;  // relaxed: under the mutex
    requested_reason_ = reason;
    // seq_cst: the Dekker pair with sleep(); also releases the reason.
    close_requested_.store(true, std::memory_order_seq_cst);
  }
  // Unconditional (closing is rare): also cancels a rendezvous in progress.
  ring_doorbell(own_bell_.get());
}

void shm_connection::begin_close() {
  std::lock_guard lock(send_mutex_);
  if (phase_ != phase::open) return;
  {
    std::lock_guard reason_lock(reason_mutex_);
    close_reason_ = requested_reason_;
  }
  phase_ = phase::closing;
  flush_deadline_ = clock::now() + owner_.config.outbound_flush_timeout;
  send();  // finishes at once when nothing is queued
}

void shm_connection::session_failed(const char* what) {
  std::string reason = "session error: ";
  reason += what;
  owner_.log(concat("jaegis shm: ", reason, " (", peer_, ")"));
  finish(reason);
}

void shm_connection::finish(const std::string& reason) {
  std::unique_lock lock(send_mutex_);  // no inline sender uses the rings from here on
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  // relaxed: from now on wake() only needs to see "set" to do nothing.
  send_requested_.exchange(true, std::memory_order_relaxed);
  if (segment_) in_.mark_closed();  // before the socket closes: the peer reads it then
  socket_.reset();                  // the peer's poll sees the end at once
  segment_.reset();
  peer_bell_.reset();
  auto* session = std::exchange(session_, nullptr);
  lock.unlock();  // on_closed may take the session's locks; nobody sends any more
  if (session == nullptr) return;
  try {
    session->on_closed(reason);
  } catch (const std::exception& e) {
    owner_.log(concat("jaegis shm: on_closed threw for ", peer_, ": ", e.what()));
  }
}

}  // namespace jaegis::transports::shm
