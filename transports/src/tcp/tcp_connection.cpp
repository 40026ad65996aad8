#include "tcp_connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <exception>

namespace jaegis::transports::tcp {

namespace {

/// sendmsg calls per turn before the connection yields to the others on its thread: 16 x 64
/// slices keeps a fast producer from starving its neighbours, yet is far above what one burst of
/// frames needs.
constexpr int send_rounds_per_turn = 16;
/// read calls per turn, for the same reason (4 x 64 KiB by default).
constexpr int reads_per_turn = 4;

}  // namespace

tcp_connection::tcp_connection(io_thread& thread, unique_fd fd, std::string peer)
    : thread_(thread), fd_(std::move(fd)), peer_(std::move(peer)) {}

void tcp_connection::wake() noexcept {
  // acq_rel: releases what the caller queued to the I/O thread's clearing exchange (protocol,
  // point 2); a true result means that exchange is still to come, so nothing else is needed.
  if (send_requested_.exchange(true, std::memory_order_acq_rel)) return;
  if (!send_inline()) thread_.request_send(*this);
}

bool tcp_connection::send_inline() noexcept {
  std::unique_lock lock(send_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || phase_ != phase::open || session_ == nullptr) return false;
  // The I/O thread's arrays are its own; an inline sender uses one of its thread's.
  thread_local std::array<net::io_slice, io_thread::max_slices> slices{};
  int error = 0;
  try {
    // Anything but "all sent" (full, failed, budget used) is the I/O thread's to finish: the
    // flag is still set, and its send() meets the same condition again and handles it.
    return send_rounds(slices, error) == send_outcome::idle;
  } catch (...) {
    return false;
  }
}

tcp_connection::send_outcome tcp_connection::send_rounds(std::span<net::io_slice> slices,
                                                         int& error) {
  std::array<iovec, io_thread::max_slices> iov{};
  for (int round = 0; round < send_rounds_per_turn; ++round) {
    std::size_t count = session_->gather(slices);
    if (count == 0) {
      // acq_rel: clear before the final gather (protocol, point 2); acquire makes what every
      // earlier wake() released visible to that gather.
      send_requested_.exchange(false, std::memory_order_acq_rel);
      count = session_->gather(slices);
      if (count == 0) return send_outcome::idle;
      // acq_rel: as the clear; we send again, so wakes go back to the cheap path.
      send_requested_.exchange(true, std::memory_order_acq_rel);
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
      iov[i].iov_base = const_cast<std::byte*>(slices[i].data);  // sendmsg does not write it
      iov[i].iov_len = slices[i].size;
      total += slices[i].size;
    }
    msghdr message{};
    message.msg_iov = iov.data();
    message.msg_iovlen = count;
    // sendmsg, not writev: the same gathered write, and MSG_NOSIGNAL turns a closed peer into
    // EPIPE instead of a process-killing SIGPIPE.
    const ssize_t written = ::sendmsg(fd_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return send_outcome::full;
      error = errno;
      return send_outcome::failed;
    }
    session_->sent(static_cast<std::size_t>(written));
    // A short write on a stream socket means its buffer is full; skip the EAGAIN round trip.
    if (static_cast<std::size_t>(written) < total) return send_outcome::full;
  }
  return send_outcome::budget_used;  // the flag stays set (protocol, point 3)
}

void tcp_connection::close(std::string_view reason) {
  // relaxed: only makes close() idempotent; the command queue's mutex orders the rest.
  if (close_requested_.exchange(true, std::memory_order_relaxed)) return;
  thread_.post([this, why = std::string(reason)] { begin_close(why); });
}

bool tcp_connection::open(bool initiator, std::uint64_t cookie) {
  try {
    interest_ = EPOLLIN;
    thread_.watch(fd_.get(), interest_, this);
    session_ = &thread_.owner().factory->open_session(*this, initiator, cookie);
  } catch (const std::exception& e) {
    std::string message = "jaegis tcp: cannot open a session for ";
    message += peer_;
    message += ": ";
    message += e.what();
    thread_.owner().log(message);
    thread_.unwatch(fd_.get());
    fd_.reset();
    phase_ = phase::closed;
    return false;
  }
  send();  // the session may have queued its first bytes (a hello) in open_session
  return true;
}

void tcp_connection::on_ready(std::uint32_t events) {
  if (phase_ == phase::closed) return;  // an event of this turn for a socket closed before it
  if (phase_ == phase::open && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) receive();
  if (phase_ != phase::closed && waiting_for_output_ &&
      (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
    waiting_for_output_ = false;
    update_interest();
    send();
  }
}

void tcp_connection::receive() {
  const auto buffer = thread_.receive_buffer();
  for (int round = 0; round < reads_per_turn; ++round) {
    const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
    if (n > 0) {
      try {
        session_->on_bytes(buffer.first(static_cast<std::size_t>(n)));
      } catch (const std::exception& e) {
        session_failed(e.what());
        return;
      }
      if (static_cast<std::size_t>(n) < buffer.size()) return;  // drained
    } else if (n == 0) {
      finish("closed by the peer");
      return;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else {
      finish(concat("receive failed: ", error_text(errno)));
      return;
    }
  }
}

void tcp_connection::send() {
  std::lock_guard lock(send_mutex_);
  if (phase_ == phase::closed || waiting_for_output_) return;
  try {
    send_unguarded();
  } catch (const std::exception& e) {
    session_failed(e.what());
  }
}

void tcp_connection::send_unguarded() {
  int error = 0;
  switch (send_rounds(thread_.slices(), error)) {
    case send_outcome::idle:
      if (phase_ == phase::closing) finish(close_reason_);
      return;
    case send_outcome::full:
      wait_for_output();
      return;
    case send_outcome::failed:
      finish(phase_ == phase::closing ? close_reason_ : concat("send failed: ", error_text(error)));
      return;
    case send_outcome::budget_used:
      thread_.send_later(*this);
      return;
  }
}

void tcp_connection::wait_for_output() {
  waiting_for_output_ = true;
  update_interest();
}

void tcp_connection::update_interest() {
  std::uint32_t wanted = phase_ == phase::open ? std::uint32_t{EPOLLIN} : 0;
  if (waiting_for_output_) wanted |= EPOLLOUT;
  if (wanted != interest_) {
    interest_ = wanted;
    thread_.rewatch(fd_.get(), interest_, this);
  }
}

void tcp_connection::begin_close(const std::string& reason) {
  std::lock_guard lock(send_mutex_);
  if (phase_ != phase::open) return;
  phase_ = phase::closing;
  close_reason_ = reason;
  flush_deadline_ = clock::now() + thread_.owner().config.outbound_flush_timeout;
  thread_.track_closing(*this);
  update_interest();  // stop reading
  send();             // finishes at once when nothing is queued
}

void tcp_connection::flush_expired() {
  if (phase_ != phase::closing) return;
  std::string reason = close_reason_;
  reason += " (unsent data dropped after ";
  reason += std::to_string(thread_.owner().config.outbound_flush_timeout.count());
  reason += " ms)";
  finish(reason);
}

void tcp_connection::session_failed(const char* what) {
  std::string reason = "session error: ";
  reason += what;
  thread_.owner().log(concat("jaegis tcp: ", reason, " (", peer_, ")"));
  finish(reason);
}

void tcp_connection::finish(const std::string& reason) {
  std::unique_lock lock(send_mutex_);  // no inline sender is using the socket from here on
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  // relaxed: from now on wake() only needs to see "set" to do nothing; one that raced in before
  // this exchange queues a request that send() ignores (phase closed).
  send_requested_.exchange(true, std::memory_order_relaxed);
  thread_.unwatch(fd_.get());
  // FIN after what the kernel still holds, then discard input that arrived: closing with unread
  // input would send a reset, which can make the peer drop data it has not read yet.
  ::shutdown(fd_.get(), SHUT_WR);
  const auto buffer = thread_.receive_buffer();
  for (int round = 0; round < reads_per_turn; ++round) {
    if (::recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT) <= 0) break;
  }
  fd_.reset();
  thread_.connection_closed(*this);
  auto* session = std::exchange(session_, nullptr);
  lock.unlock();  // on_closed may take the session's locks; nobody sends any more (phase closed)
  try {
    session->on_closed(reason);
  } catch (const std::exception& e) {
    std::string message = "jaegis tcp: on_closed threw for ";
    message += peer_;
    message += ": ";
    message += e.what();
    thread_.owner().log(message);
  }
}

}  // namespace jaegis::transports::tcp
