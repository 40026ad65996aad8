#include "io_thread.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <system_error>

#include "tcp_connection.hpp"

namespace jaegis::transports::tcp {

namespace {

/// How long a listener rests after accept() ran out of descriptors: with level triggering it
/// would otherwise report the same pending connection in a busy loop.
constexpr auto listener_rest = std::chrono::milliseconds(100);
/// Connections one listener accepts per turn.
constexpr int accepts_per_turn = 64;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

struct io_thread::listener final : io_handler {
  listener(io_thread& t, unique_fd f, std::string n)
      : thread(t), fd(std::move(f)), name(std::move(n)) {}
  void on_ready(std::uint32_t /*events*/) override {
    if (fd) thread.accept_ready(*this);
  }
  io_thread& thread;
  unique_fd fd;
  std::string name;
  bool resting = false;
  clock::time_point rest_until{};
};

struct io_thread::pending_connect final : io_handler {
  void on_ready(std::uint32_t /*events*/) override {
    if (fd) thread->connect_ready(*this);
  }
  io_thread* thread = nullptr;
  std::vector<socket_address> addresses;
  std::size_t next = 0;  // the address to try after the current one
  unique_fd fd;
  std::uint64_t cookie = 0;
  std::chrono::milliseconds timeout{};
  clock::time_point deadline{};
  std::string last_error;
};

io_thread& carrier::pick() noexcept {
  // relaxed: any spread will do; the counter guards no data.
  return *threads[next_thread.fetch_add(1, std::memory_order_relaxed) % threads.size()];
}

void carrier::log(std::string_view message) const {
  if (config.log) {
    config.log(message);
  } else {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  }
}

io_thread::io_thread(carrier& owner)
    : owner_(owner), slices_(max_slices), receive_buffer_(owner.config.receive_buffer) {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) throw_errno("jaegis tcp: epoll_create1");
  wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd_) throw_errno("jaegis tcp: eventfd");
  watch(wake_fd_.get(), EPOLLIN, nullptr);
}

io_thread::~io_thread() = default;

void io_thread::start() {
  thread_ = std::thread([this] { run(); });
  id_ = thread_.get_id();
}

void io_thread::post(std::function<void()> command) {
  bool was_idle = false;
  {
    std::lock_guard lock(mutex_);
    was_idle = commands_.empty() && send_requests_.empty();
    commands_.push_back(std::move(command));
  }
  if (was_idle) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(wake_fd_.get(), &one, sizeof one);
  }
}

void io_thread::request_send(tcp_connection& c) noexcept {
  bool was_idle = false;
  {
    std::lock_guard lock(mutex_);
    was_idle = commands_.empty() && send_requests_.empty();
    send_requests_.push_back(&c);  // out of memory terminates (noexcept): better than a lost send
  }
  if (was_idle) {
    const std::uint64_t one = 1;
    // An eventfd write fails only when the counter would overflow, i.e. it is already set.
    [[maybe_unused]] const auto n = ::write(wake_fd_.get(), &one, sizeof one);
  }
}

void io_thread::request_stop() {
  post([this] { begin_stop(); });
}

void io_thread::join() {
  if (thread_.joinable()) thread_.join();
}

void io_thread::run_leftovers() {
  stopping_ = true;
  take_requests();
  retired_.clear();
}

bool io_thread::is_current() const noexcept {
  return std::this_thread::get_id() == id_;
}

void io_thread::watch(int fd, std::uint32_t events, io_handler* handler) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = handler;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
    throw_errno("jaegis tcp: epoll add");
}

void io_thread::rewatch(int fd, std::uint32_t events, io_handler* handler) {
  epoll_event event{};
  event.events = events;
  event.data.ptr = handler;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) != 0)
    throw_errno("jaegis tcp: epoll mod");
}

void io_thread::unwatch(int fd) noexcept {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void io_thread::run() {
  std::array<epoll_event, 64> events{};
  while (!(stopping_ && open_connections_ == 0)) {
    const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                               wait_timeout_ms());
    if (n < 0 && errno != EINTR) {
      owner_.log(concat("jaegis tcp: epoll_wait failed: ", error_text(errno)));
      continue;
    }
    // The catch is a safety net: session exceptions are caught per connection; what reaches here
    // is an epoll_ctl failure, which the loop survives.
    try {
      for (int i = 0; i < n; ++i) {
        auto* handler = static_cast<io_handler*>(events[static_cast<std::size_t>(i)].data.ptr);
        if (handler == nullptr) {
          take_requests();
        } else {
          handler->on_ready(events[static_cast<std::size_t>(i)].events);
        }
      }
      if (!send_later_.empty()) {
        auto again = std::exchange(send_later_, {});
        for (auto* c : again)
          c->send();
      }
      expire(clock::now());
    } catch (const std::exception& e) {
      owner_.log(concat("jaegis tcp: ", e.what()));
    }
    retired_.clear();
  }
}

void io_thread::take_requests() {
  std::uint64_t count = 0;
  // Read first, swap second: a request pushed after the swap finds the lists empty and writes
  // the eventfd again (see the header).
  [[maybe_unused]] const auto n = ::read(wake_fd_.get(), &count, sizeof count);
  std::vector<std::function<void()>> commands;
  std::vector<tcp_connection*> sends;
  {
    std::lock_guard lock(mutex_);
    commands.swap(commands_);
    sends.swap(send_requests_);
  }
  for (auto& command : commands) {
    try {
      command();
    } catch (const std::exception& e) {
      owner_.log(concat("jaegis tcp: ", e.what()));
    }
  }
  for (auto* c : sends)
    c->send();  // a closed connection ignores it
}

void io_thread::begin_stop() {
  stopping_ = true;
  for (auto& l : listeners_) {
    unwatch(l->fd.get());
    l->fd.reset();
    retire(std::move(l));
  }
  listeners_.clear();
  auto connecting = std::move(connecting_);
  connecting_.clear();
  for (auto& p : connecting) {
    if (p->fd) unwatch(p->fd.get());
    p->fd.reset();
    owner_.factory->connect_failed(p->cookie, "the TCP transport stopped before connecting");
    retire(std::move(p));
  }
  for (auto& c : connections_)
    c->begin_close("the TCP transport stopped");
}

int io_thread::wait_timeout_ms() const {
  if (!send_later_.empty()) return 0;
  auto next = clock::time_point::max();
  for (const auto* c : closing_)
    next = std::min(next, c->flush_deadline());
  for (const auto& p : connecting_)
    next = std::min(next, p->deadline);
  for (const auto& l : listeners_) {
    if (l->resting) next = std::min(next, l->rest_until);
  }
  if (next == clock::time_point::max()) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(next - clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, 60'000));
}

void io_thread::expire(clock::time_point now) {
  if (!closing_.empty()) {
    const auto closing = closing_;  // flush_expired() removes from closing_
    for (auto* c : closing) {
      if (c->flush_deadline() <= now) c->flush_expired();
    }
  }
  for (std::size_t i = 0; i < connecting_.size();) {
    auto& p = *connecting_[i];
    if (p.deadline > now) {
      ++i;
      continue;
    }
    std::string reason = "timed out after ";
    reason += std::to_string(p.timeout.count());
    reason += " ms connecting to ";
    reason += p.addresses[p.next - 1].to_string();
    connect_failed(p, reason);  // removes it from connecting_
  }
  for (auto& l : listeners_) {
    if (l->resting && l->rest_until <= now) {
      l->resting = false;
      rewatch(l->fd.get(), EPOLLIN, l.get());
    }
  }
}

void io_thread::connection_closed(tcp_connection& c) {
  --open_connections_;
  std::erase(closing_, &c);
}

void io_thread::add_listener(unique_fd fd, std::string name) {
  if (stopping_) return;  // closes it
  auto l = std::make_unique<listener>(*this, std::move(fd), std::move(name));
  watch(l->fd.get(), EPOLLIN, l.get());
  listeners_.push_back(std::move(l));
}

void io_thread::accept_ready(listener& l) {
  for (int round = 0; round < accepts_per_turn; ++round) {
    socket_address address;
    address.length = sizeof address.storage;
    unique_fd fd(::accept4(l.fd.get(), reinterpret_cast<sockaddr*>(&address.storage),
                           &address.length, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
      if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
      owner_.log(concat("jaegis tcp: accept on ", l.name, " failed: ", error_text(error)));
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        l.resting = true;
        l.rest_until = clock::now() + listener_rest;
        rewatch(l.fd.get(), 0, &l);
      }
      return;
    }
    try {
      set_no_delay(fd.get());
    } catch (const std::system_error& e) {
      owner_.log(concat("jaegis tcp: dropping an accepted connection: ", e.what()));
      continue;
    }
    auto peer = address.to_string();
    auto& target = owner_.pick();
    if (&target == this) {
      adopt(std::move(fd), std::move(peer), false, 0);
    } else {
      // shared_ptr: std::function needs a copyable callable, and the socket must close if the
      // command is dropped.
      auto owned = std::make_shared<unique_fd>(std::move(fd));
      target.post([&target, owned, peer = std::move(peer)]() mutable {
        target.adopt(std::move(*owned), std::move(peer), false, 0);
      });
    }
  }
}

void io_thread::adopt(unique_fd fd, std::string peer, bool initiator, std::uint64_t cookie) {
  if (stopping_) {
    if (initiator) owner_.factory->connect_failed(cookie, "the TCP transport stopped");
    return;  // closes the socket; no session was opened, so none is owed on_closed
  }
  connections_.push_back(std::make_unique<tcp_connection>(*this, std::move(fd), std::move(peer)));
  auto& c = *connections_.back();
  ++open_connections_;
  if (!c.open(initiator, cookie)) {
    --open_connections_;
    if (initiator) owner_.factory->connect_failed(cookie, "the session factory failed");
  }
}

void io_thread::start_connect(std::vector<socket_address> addresses,
                              std::chrono::milliseconds timeout, std::uint64_t cookie) {
  if (stopping_) {
    owner_.factory->connect_failed(cookie, "the TCP transport stopped before connecting");
    return;
  }
  auto p = std::make_unique<pending_connect>();
  p->thread = this;
  p->addresses = std::move(addresses);
  p->cookie = cookie;
  p->timeout = timeout;
  p->deadline = clock::now() + timeout;  // one deadline for all addresses together
  auto& pending = *p;
  connecting_.push_back(std::move(p));
  try_next_address(pending);
}

void io_thread::try_next_address(pending_connect& p) {
  while (p.next < p.addresses.size()) {
    const auto& address = p.addresses[p.next++];
    try {
      p.fd = make_tcp_socket(address.family());
    } catch (const std::system_error& e) {
      p.last_error = e.what();
      continue;
    }
    if (::connect(p.fd.get(), address.get(), address.length) == 0 || errno == EINPROGRESS) {
      // Completed at once (possible on loopback) or in progress: EPOLLOUT reports either.
      watch(p.fd.get(), EPOLLOUT, &p);
      return;
    }
    p.last_error = concat(error_text(errno), ": ", address.to_string());
    p.fd.reset();
  }
  connect_failed(p, p.last_error);
}

void io_thread::connect_ready(pending_connect& p) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(p.fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  unwatch(p.fd.get());
  const auto& address = p.addresses[p.next - 1];
  if (error != 0) {
    p.last_error = concat(error_text(error), ": ", address.to_string());
    p.fd.reset();
    try_next_address(p);
    return;
  }
  auto fd = std::move(p.fd);
  const auto cookie = p.cookie;
  auto peer = address.to_string();
  forget(p);
  adopt(std::move(fd), std::move(peer), true, cookie);
}

void io_thread::forget(pending_connect& p) {
  if (p.fd) unwatch(p.fd.get());
  p.fd.reset();
  const auto it = std::find_if(connecting_.begin(), connecting_.end(),
                               [&](const auto& owned) { return owned.get() == &p; });
  if (it != connecting_.end()) {
    retire(std::move(*it));
    connecting_.erase(it);
  }
}

void io_thread::connect_failed(pending_connect& p, const std::string& reason) {
  const auto cookie = p.cookie;
  forget(p);  // p is retired: still valid until the end of the turn
  owner_.factory->connect_failed(cookie, reason);
}

}  // namespace jaegis::transports::tcp
