#include "socket_util.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace jaegis::transports::tcp {

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

bool socket_address::is_loopback() const noexcept {
  if (family() == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(storage);
    return (ntohl(in.sin_addr.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  if (family() == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(storage);
    if (IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr) && in6.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

std::string socket_address::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(storage).sin_addr, text,
                sizeof text);
  } else if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(storage).sin6_addr, text,
                sizeof text);
  } else {
    return "(unknown address family)";
  }
  return text;
}

std::string socket_address::to_string() const {
  std::string out;
  if (family() == AF_INET6) {
    out = '[';
    out += host();
    out += ']';
  } else {
    out = host();
  }
  const auto port = family() == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(storage).sin6_port
                                         : reinterpret_cast<const sockaddr_in&>(storage).sin_port;
  out += ':';
  out += std::to_string(ntohs(port));
  return out;
}

namespace {

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

[[noreturn]] void bad_host(std::string_view host, std::string_view why) {
  std::string message = "jaegis: bad TCP host '";
  message += host;
  message += "': ";
  message += why;
  throw std::invalid_argument(message);
}

}  // namespace

void check_host(std::string_view host) {
  const auto bare = strip_brackets(host);
  if (bare.empty()) bad_host(host, "empty");
  bool only_digits_and_dots = true;
  for (const char c : bare) {
    const bool name_char = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                           c == '_' || c == ':' || c == '%';
    if (!name_char) bad_host(host, "not a host name or IP address");
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') only_digits_and_dots = false;
  }
  if (only_digits_and_dots) {
    in_addr parsed{};
    const std::string copy(bare);
    if (::inet_pton(AF_INET, copy.c_str(), &parsed) != 1) bad_host(host, "not an IPv4 address");
  }
}

std::vector<socket_address> resolve(std::string_view host, std::uint16_t port, bool passive) {
  check_host(host);
  const auto bare = strip_brackets(host);
  const std::string name = bare == "localhost" ? std::string("127.0.0.1") : std::string(bare);
  const std::string service = std::to_string(port);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &found); rc != 0) {
    bad_host(host, rc == EAI_SYSTEM ? error_text(errno) : std::string(::gai_strerror(rc)));
  }
  std::vector<socket_address> out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    socket_address address;
    std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
    address.length = a->ai_addrlen;
    out.push_back(address);
  }
  ::freeaddrinfo(found);
  if (out.empty()) bad_host(host, "no TCP address");
  return out;
}

void set_no_delay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "jaegis: setsockopt(TCP_NODELAY)");
  }
}

unique_fd make_tcp_socket(int family) {
  unique_fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd) throw std::system_error(errno, std::generic_category(), "jaegis: socket()");
  set_no_delay(fd.get());
  return fd;
}

std::string error_text(int error) {
  char buffer[128];
  std::string text = ::strerror_r(error, buffer, sizeof buffer);  // GNU: thread-safe, returns text
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace jaegis::transports::tcp
