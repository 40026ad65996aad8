#include "rendezvous.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace jaegis::transports::shm {

using tcp::concat;
using tcp::error_text;

namespace {

/// The rendezvous messages: "JAEGRV01" and the segment version; the fds travel as SCM_RIGHTS.
constexpr std::uint64_t hello_magic = 0x313056524745414AULL;  // "JAEGRV01", little endian
struct hello {
  std::uint64_t magic = hello_magic;
  std::uint32_t version = segment_version;
  std::uint32_t fd_count = 0;
};

[[noreturn]] void fail(std::string why) {
  throw std::runtime_error(why);
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), path.size());  // checked: fits with its terminator
  return a;
}

/// Waits until `fd` is readable or `cancel` is, or the deadline passes.
void wait_readable(int fd, clock::time_point deadline, int cancel, const char* what) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
    if (left <= 0) fail(concat("timed out waiting for ", what));
    std::array<pollfd, 2> fds{{{fd, POLLIN, 0}, {cancel, POLLIN, 0}}};
    const int n = ::poll(fds.data(), cancel >= 0 ? 2 : 1, static_cast<int>(left));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(concat("poll failed: ", error_text(errno)));
    }
    if (cancel >= 0 && (fds[1].revents & POLLIN) != 0) {
      fail("cancelled: the connection was closed or the transport stopped");
    }
    if (fds[0].revents != 0) return;
  }
}

void send_hello(int socket, std::span<const int> fds) {
  hello h;
  h.fd_count = static_cast<std::uint32_t>(fds.size());
  iovec iov{&h, sizeof h};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * 2)> control{};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.data();
  m.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  for (;;) {
    if (::sendmsg(socket, &m, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof h)) return;
    if (errno == EINTR) continue;
    fail(concat("sending the rendezvous message failed: ", error_text(errno)));
  }
}

/// Receives a hello with exactly `expected` descriptors (any others are closed).
std::vector<unique_fd> receive_hello(int socket, std::size_t expected, clock::time_point deadline,
                                     int cancel) {
  wait_readable(socket, deadline, cancel, "the peer's rendezvous message");
  hello h{};
  iovec iov{&h, sizeof h};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * 8)> control{};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.data();
  m.msg_controllen = control.size();
  ssize_t n = 0;
  do {
    n = ::recvmsg(socket, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  std::vector<unique_fd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);  // owned from here: closed if we refuse the message
    }
  }
  if (n < 0) fail(concat("receiving the rendezvous message failed: ", error_text(errno)));
  if (n == 0) fail("the peer closed the socket during the rendezvous");
  if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) fail("the rendezvous message was truncated");
  if (static_cast<std::size_t>(n) != sizeof h || h.magic != hello_magic) {
    fail("the peer's rendezvous message is not a JAEGIS shm hello");
  }
  if (h.version != segment_version) {
    fail(concat("the peer speaks shm version ", std::to_string(h.version), ", this build ",
                std::to_string(segment_version)));
  }
  if (fds.size() != expected || h.fd_count != expected) {
    fail(concat("the rendezvous message carries ", std::to_string(fds.size()),
                " descriptors, expected ", std::to_string(expected)));
  }
  return fds;
}

/// Checks that `fd` is an eventfd and makes it non-blocking (a doorbell must never block).
unique_fd checked_bell(unique_fd fd) {
  std::array<char, 64> target{};
  const std::string link = "/proc/self/fd/" + std::to_string(fd.get());
  const ssize_t n = ::readlink(link.c_str(), target.data(), target.size() - 1);
  if (n < 0 ||
      std::string_view(target.data(), static_cast<std::size_t>(n)) != "anon_inode:[eventfd]") {
    fail("the peer's doorbell is not an eventfd");
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    fail(concat("cannot make the peer's doorbell non-blocking: ", error_text(errno)));
  }
  return fd;
}

mapping map_shared(int fd, std::size_t size) {
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) fail(concat("mmap of the shared segment failed: ", error_text(errno)));
  return mapping(base, size);
}

}  // namespace

void mapping::reset() noexcept {
  if (base_ != nullptr) ::munmap(base_, size_);
  base_ = nullptr;
  size_ = 0;
}

void check_socket_path(std::string_view path) {
  if (path.empty()) throw std::invalid_argument("jaegis shm: the socket path is empty");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    std::string why = "jaegis shm: the socket path '";
    why += path;
    why += "' is longer than ";
    why += std::to_string(sizeof(sockaddr_un::sun_path) - 1);
    why += " bytes";
    throw std::invalid_argument(why);
  }
  if (path.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("jaegis shm: the socket path contains a NUL byte");
  }
}

unique_fd listen_unix(const std::string& path) {
  check_socket_path(path);
  const sockaddr_un a = address_of(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw std::invalid_argument(
          concat("jaegis shm: cannot listen on ", path, ": the file exists and is not a socket"));
    }
    // A socket file: stale if nobody accepts on it.
    unique_fd probe(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!probe) throw std::system_error(errno, std::generic_category(), "jaegis shm: socket()");
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0) {
      throw std::system_error(
          EADDRINUSE, std::generic_category(),
          concat("jaegis shm: cannot listen on ", path, ": another process listens there"));
    }
    if (errno != ECONNREFUSED) {
      throw std::system_error(
          errno, std::generic_category(),
          concat("jaegis shm: cannot listen on ", path, ": the existing socket file is not stale"));
    }
    ::unlink(path.c_str());  // stale: a listener that died without cleaning up
  }
  unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw std::system_error(errno, std::generic_category(), "jaegis shm: socket()");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            concat("jaegis shm: cannot bind ", path));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            concat("jaegis shm: cannot listen on ", path));
  }
  return fd;
}

unique_fd connect_unix(const std::string& path, clock::time_point deadline) {
  const sockaddr_un a = address_of(path);
  unique_fd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd) fail(concat("socket() failed: ", error_text(errno)));
  // A full backlog makes connect wait; SO_SNDTIMEO bounds that wait.
  const auto left = std::max<std::int64_t>(
      1, std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count());
  timeval tv{static_cast<time_t>(left / 1000), static_cast<suseconds_t>((left % 1000) * 1000)};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  while (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    if (errno == EINTR) continue;
    fail(concat(error_text(errno), ": ", path));
  }
  return fd;
}

std::string peer_credentials(int socket) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return "pid ?";
  return concat("pid ", std::to_string(cred.pid), ", uid ", std::to_string(cred.uid));
}

unique_fd make_doorbell() {
  unique_fd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!fd) throw std::system_error(errno, std::generic_category(), "jaegis shm: eventfd");
  return fd;
}

void ring_doorbell(int bell) noexcept {
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow: then it is readable already.
  [[maybe_unused]] const auto n = ::write(bell, &one, sizeof one);
}

void drain_doorbell(int bell) noexcept {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto n = ::read(bell, &count, sizeof count);
}

rendezvous_result rendezvous_initiator(int socket, const ring_geometry& geometry, int own_bell,
                                       clock::time_point deadline, int cancel) {
  const std::size_t size = segment_size(geometry);
  unique_fd memfd(::memfd_create("jaegis-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!memfd) fail(concat("memfd_create failed: ", error_text(errno)));
  if (::ftruncate(memfd.get(), static_cast<off_t>(size)) != 0) {
    fail(concat("sizing the shared segment failed: ", error_text(errno)));
  }
  if (::fcntl(memfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    fail(concat("sealing the shared segment failed: ", error_text(errno)));
  }
  rendezvous_result r;
  r.segment = map_shared(memfd.get(), size);
  r.geometry = geometry;
  r.direction_out = 0;
  format_segment(r.segment.bytes(), geometry);  // a fresh memfd reads as zeros: rings are empty
  const std::array<int, 2> fds{memfd.get(), own_bell};
  send_hello(socket, fds);
  auto answer = receive_hello(socket, 1, deadline, cancel);
  r.peer_bell = checked_bell(std::move(answer[0]));
  return r;
}

rendezvous_result rendezvous_responder(int socket, int own_bell, clock::time_point deadline,
                                       int cancel) {
  auto fds = receive_hello(socket, 2, deadline, cancel);
  const int memfd = fds[0].get();
  const int seals = ::fcntl(memfd, F_GET_SEALS);
  if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) != (F_SEAL_SHRINK | F_SEAL_SEAL)) {
    fail("the peer's shared segment is not a memfd sealed against shrinking");
  }
  struct stat st {};
  if (::fstat(memfd, &st) != 0) fail(concat("fstat failed: ", error_text(errno)));
  if (st.st_size < static_cast<off_t>(cache_line) || st.st_size > (off_t{1} << 30)) {
    fail(concat("the peer's shared segment has an impossible size: ", std::to_string(st.st_size)));
  }
  rendezvous_result r;
  r.segment = map_shared(memfd, static_cast<std::size_t>(st.st_size));
  r.geometry = read_segment_header(r.segment.bytes());  // throws with the reason
  r.direction_out = 1;
  r.peer_bell = checked_bell(std::move(fds[1]));
  const std::array<int, 1> mine{own_bell};
  send_hello(socket, mine);
  return r;
}

}  // namespace jaegis::transports::shm
