// The shared-memory transport: listeners (a thread each, accepting on a Unix socket) and
// connections (shm_connection.hpp, a thread each), all owned until the transport is destroyed.

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <jaegis/transports/shm_transport.hpp>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "rendezvous.hpp"
#include "shm_connection.hpp"

namespace jaegis::transports {

namespace {

using shm::unique_fd;
using tcp::concat;

/// "shm:///tmp/x.sock" and "/tmp/x.sock" name the same socket.
std::string socket_path(std::string_view host) {
  constexpr std::string_view prefix = "shm://";
  if (host.substr(0, prefix.size()) == prefix) host.remove_prefix(prefix.size());
  shm::check_socket_path(host);
  return std::string(host);
}

class shm_transport final : public net::transport {
 public:
  explicit shm_transport(shm_config config) {
    carrier_.geometry = {config.slot_size, config.slot_count, config.max_record};
    if (auto why = carrier_.geometry.check(); !why.empty()) {
      throw std::invalid_argument("jaegis shm: bad shm_config: " + why);
    }
    if (config.connect_timeout.count() <= 0 || config.outbound_flush_timeout.count() < 0) {
      throw std::invalid_argument(
          "jaegis shm: connect_timeout must be positive and outbound_flush_timeout must not be "
          "negative");
    }
    carrier_.config = std::move(config);
  }
  ~shm_transport() override {
    try {
      stop();
    } catch (const std::exception& e) {
      carrier_.log(concat("jaegis shm: stop failed in the destructor: ", e.what()));
    }
  }

  std::string_view scheme() const noexcept override { return "shm"; }

  void start(net::session_factory& factory) override {
    std::lock_guard lock(mutex_);
    if (started_ || stopped_) {
      throw std::logic_error("jaegis: shm transport started twice or after stop");
    }
    started_ = true;
    carrier_.factory = &factory;  // threads see it: thread creation synchronizes
  }

  std::uint16_t listen(std::string_view host, std::uint16_t port, bool /*authenticated*/) override {
    if (port != 0) {
      throw std::invalid_argument("jaegis shm: an shm address has no port (pass 0)");
    }
    const std::string path = socket_path(host);
    auto l = std::make_unique<listener>();
    l->path = path;
    l->fd = shm::listen_unix(path);  // throws with the reason
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      l->device = st.st_dev;
      l->inode = st.st_ino;
    }
    l->stop_bell = shm::make_doorbell();
    std::lock_guard lock(mutex_);
    if (!started_ || stopped_) {
      ::unlink(path.c_str());
      throw std::logic_error("jaegis: shm listen before start or after stop");
    }
    auto& ref = *l;
    listeners_.push_back(std::move(l));
    ref.thread = std::thread([this, &ref] { accept_loop(ref); });
    return 0;
  }

  void connect(std::string_view host, std::uint16_t port, std::chrono::milliseconds timeout,
               std::uint64_t cookie) override {
    if (port != 0) {
      throw std::invalid_argument("jaegis shm: an shm address has no port (pass 0)");
    }
    std::string path = socket_path(host);  // malformed: the caller's mistake, thrown here
    if (timeout.count() <= 0) timeout = carrier_.config.connect_timeout;
    std::lock_guard lock(mutex_);
    if (!started_ || stopped_) {
      throw std::logic_error("jaegis: shm connect before start or after stop");
    }
    connections_.push_back(std::make_unique<shm::shm_connection>(
        carrier_, unique_fd(), std::move(path), true, cookie, timeout));
    connections_.back()->start();  // connect_failed or open_session come from its thread
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      if (shm::current_carrier == &carrier_) {
        throw std::logic_error("jaegis: shm transport stopped from one of its own threads");
      }
      stopped_ = true;  // from here on no listener or connection is added
    }
    for (auto& l : listeners_) {
      shm::ring_doorbell(l->stop_bell.get());
      if (l->thread.joinable()) l->thread.join();
      // Only our own socket file: another listener may have replaced it since.
      struct stat st {};
      if (::stat(l->path.c_str(), &st) == 0 && st.st_dev == l->device && st.st_ino == l->inode) {
        ::unlink(l->path.c_str());
      }
      l->fd.reset();
    }
    for (auto& c : connections_)
      c->close("the shm transport stopped");
    for (auto& c : connections_)
      c->join();
  }

 private:
  struct listener {
    std::string path;
    unique_fd fd;
    unique_fd stop_bell;
    dev_t device = 0;
    ino_t inode = 0;
    std::thread thread;
  };

  void accept_loop(listener& l) {
    shm::current_carrier = &carrier_;
    for (;;) {
      std::array<pollfd, 2> fds{{{l.fd.get(), POLLIN, 0}, {l.stop_bell.get(), POLLIN, 0}}};
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        carrier_.log(concat("jaegis shm: poll on ", l.path, " failed: ", tcp::error_text(errno)));
        return;
      }
      if (fds[1].revents != 0) return;
      unique_fd fd(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd) {
        const int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR || error == ECONNABORTED) {
          continue;
        }
        carrier_.log(concat("jaegis shm: accept on ", l.path, " failed: ", tcp::error_text(error)));
        // Out of descriptors: rest a little instead of spinning on the pending connection.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      std::lock_guard lock(mutex_);
      if (stopped_) return;  // closes the socket
      connections_.push_back(std::make_unique<shm::shm_connection>(
          carrier_, std::move(fd), l.path, false, 0, carrier_.config.connect_timeout));
      connections_.back()->start();
    }
  }

  shm::carrier carrier_;
  std::mutex mutex_;  // started_, stopped_, the lists' growth
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::unique_ptr<listener>> listeners_;
  std::vector<std::unique_ptr<shm::shm_connection>> connections_;
};

}  // namespace

std::unique_ptr<net::transport> make_shm_transport(shm_config config) {
  return std::make_unique<shm_transport>(std::move(config));
}

}  // namespace jaegis::transports
