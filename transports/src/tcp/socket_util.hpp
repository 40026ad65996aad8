#pragma once

// Small socket helpers for the TCP carrier: an owning file descriptor, address parsing and
// resolution, the loopback test, readable error texts.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jaegis::transports::tcp {

/// Owns one file descriptor; closes it on destruction.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// One socket address as getaddrinfo or accept returns it.
struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  [[nodiscard]] int family() const noexcept { return storage.ss_family; }
  [[nodiscard]] const sockaddr* get() const noexcept {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
  [[nodiscard]] bool is_loopback() const noexcept;
  /// "127.0.0.1", "::1".
  [[nodiscard]] std::string host() const;
  /// "127.0.0.1:5", "[::1]:5".
  [[nodiscard]] std::string to_string() const;
};

/// Throws std::invalid_argument, naming `host`, when it cannot be a host: empty, characters no
/// name or address has, or dotted digits that are not an IPv4 address (which getaddrinfo would
/// otherwise send to DNS as a name).
void check_host(std::string_view host);

/// The addresses of `host:port`, in the resolver's order. "localhost" is 127.0.0.1; a literal is
/// parsed without a lookup; brackets around an IPv6 literal are dropped. `passive`: for bind.
/// Throws std::invalid_argument (naming the host) when it is malformed or does not resolve.
std::vector<socket_address> resolve(std::string_view host, std::uint16_t port, bool passive);

/// A non-blocking, close-on-exec TCP socket of `family` with TCP_NODELAY; throws system_error.
unique_fd make_tcp_socket(int family);

/// Sets TCP_NODELAY; throws std::system_error.
void set_no_delay(int fd);

/// Joins strings (also a way around GCC 12's false -Wrestrict on "literal" + std::string).
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out += ... += std::string_view(parts));
  return out;
}

/// "connection refused", "network is unreachable": strerror, lower case, for reasons.
std::string error_text(int error);

}  // namespace jaegis::transports::tcp
