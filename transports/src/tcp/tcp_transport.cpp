#include <sys/socket.h>

#include <cerrno>
#include <jaegis/transports/tcp_transport.hpp>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>

#include "io_thread.hpp"
#include "socket_util.hpp"

namespace jaegis::transports {

using tcp::socket_address;
using tcp::unique_fd;

struct tcp_transport::state {
  tcp::carrier carrier;
  std::mutex mutex;  // orders start, listen/connect hand-overs and stop
  bool started = false;
  bool stopped = false;
};

namespace {

std::string host_and_port(std::string_view host, std::uint16_t port) {
  std::string out(host);
  out += ':';
  out += std::to_string(port);
  return out;
}

/// Binds and listens on `address`; throws std::system_error naming it.
unique_fd bind_listener(const socket_address& address) {
  auto fd = tcp::make_tcp_socket(address.family());
  const int one = 1;
  auto fail = [&](const char* step) {
    std::string message = "jaegis: cannot listen on ";
    message += address.to_string();
    message += " (";
    message += step;
    message += ")";
    throw std::system_error(errno, std::generic_category(), message);
  };
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) fail("SO_REUSEADDR");
  if (::bind(fd.get(), address.get(), address.length) != 0) fail("bind");
  if (::listen(fd.get(), SOMAXCONN) != 0) fail("listen");
  return fd;
}

std::uint16_t local_port(int fd) {
  socket_address bound;
  bound.length = sizeof bound.storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound.storage), &bound.length) != 0) {
    throw std::system_error(errno, std::generic_category(), "jaegis: getsockname");
  }
  if (bound.family() == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(bound.storage).sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6&>(bound.storage).sin6_port);
}

}  // namespace

tcp_transport::tcp_transport(tcp_config config) : state_(std::make_unique<state>()) {
  if (config.io_threads == 0) throw std::invalid_argument("jaegis: tcp_config::io_threads is 0");
  if (config.receive_buffer == 0) {
    throw std::invalid_argument("jaegis: tcp_config::receive_buffer is 0");
  }
  if (config.connect_timeout.count() <= 0 || config.outbound_flush_timeout.count() < 0) {
    throw std::invalid_argument(
        "jaegis: tcp_config::connect_timeout must be positive and outbound_flush_timeout must not "
        "be negative");
  }
  state_->carrier.config = std::move(config);
  for (std::size_t i = 0; i < state_->carrier.config.io_threads; ++i) {
    state_->carrier.threads.push_back(std::make_unique<tcp::io_thread>(state_->carrier));
  }
}

tcp_transport::~tcp_transport() {
  try {
    stop();
  } catch (const std::exception& e) {
    state_->carrier.log(tcp::concat("jaegis tcp: stop failed in the destructor: ", e.what()));
  }
}

void tcp_transport::start(net::session_factory& factory) {
  std::lock_guard lock(state_->mutex);
  if (state_->started || state_->stopped) {
    throw std::logic_error("jaegis: tcp_transport::start called twice or after stop");
  }
  state_->started = true;
  state_->carrier.factory = &factory;  // the threads see it: thread creation synchronizes
  for (auto& t : state_->carrier.threads)
    t->start();
}

std::uint16_t tcp_transport::listen(std::string_view host, std::uint16_t port, bool authenticated) {
  const auto addresses = tcp::resolve(host, port, true);
  for (const auto& address : addresses) {
    if (!authenticated && !address.is_loopback()) {
      std::string message = "jaegis: refusing to listen on ";
      message += host;
      if (host != address.host()) {
        message += " (";
        message += address.host();
        message += ")";
      }
      message +=
          " without a shared secret (set JAEGIS_SECRET or the config's secret); loopback "
          "addresses need none";
      throw std::invalid_argument(message);
    }
  }
  // The first address that binds: a name may resolve to an address family this host lacks.
  unique_fd fd;
  std::exception_ptr failure;
  for (const auto& address : addresses) {
    try {
      fd = bind_listener(address);
      break;
    } catch (const std::system_error&) {
      failure = std::current_exception();
    }
  }
  if (!fd) std::rethrow_exception(failure);
  const auto chosen = local_port(fd.get());

  std::lock_guard lock(state_->mutex);
  if (!state_->started || state_->stopped) {
    throw std::logic_error("jaegis: tcp_transport::listen before start or after stop");
  }
  auto& thread = state_->carrier.pick();
  auto owned = std::make_shared<unique_fd>(std::move(fd));  // std::function wants copyable
  thread.post([&thread, owned, name = host_and_port(host, chosen)]() mutable {
    thread.add_listener(std::move(*owned), std::move(name));
  });
  return chosen;
}

void tcp_transport::connect(std::string_view host, std::uint16_t port,
                            std::chrono::milliseconds timeout, std::uint64_t cookie) {
  tcp::check_host(host);  // malformed: the caller's mistake, thrown here
  if (timeout.count() <= 0) timeout = state_->carrier.config.connect_timeout;
  std::vector<socket_address> addresses;
  std::string failure;
  try {
    addresses = tcp::resolve(host, port, false);
  } catch (const std::invalid_argument& e) {
    failure = e.what();  // well-formed but no such name: reported like any failed connect
  }

  std::lock_guard lock(state_->mutex);
  if (!state_->started || state_->stopped) {
    throw std::logic_error("jaegis: tcp_transport::connect before start or after stop");
  }
  auto& thread = state_->carrier.pick();
  if (!failure.empty()) {
    // Reported from the I/O thread, never from inside the caller's connect().
    thread.post(
        [this, cookie, failure] { state_->carrier.factory->connect_failed(cookie, failure); });
    return;
  }
  thread.post([&thread, addresses = std::move(addresses), timeout, cookie]() mutable {
    thread.start_connect(std::move(addresses), timeout, cookie);
  });
}

void tcp_transport::stop() {
  {
    std::lock_guard lock(state_->mutex);  // also orders the reads of the thread ids after start()
    if (state_->stopped) return;
    for (const auto& t : state_->carrier.threads) {
      if (t->is_current()) {
        throw std::logic_error("jaegis: tcp_transport::stop called from one of its I/O threads");
      }
    }
    state_->stopped = true;
    if (!state_->started) return;
  }
  for (auto& t : state_->carrier.threads)
    t->request_stop();
  for (auto& t : state_->carrier.threads)
    t->join();
  for (auto& t : state_->carrier.threads)
    t->run_leftovers();
}

std::unique_ptr<net::transport> make_tcp_transport(tcp_config config) {
  return std::make_unique<tcp_transport>(std::move(config));
}

}  // namespace jaegis::transports
