// The floor of the remote workloads: what two processes get from a raw TCP socket on 127.0.0.1,
// with no framework. Blocking sockets, TCP_NODELAY on both ends, one thread per process:
//  - pingpong: 16 bytes out, 16 bytes back, one round trip at a time. A framework's round trip
//    adds its own work to these same system calls and wake-ups, so this bounds it from below.
//  - throughput: 64-byte messages streamed in 64 KiB writes, one acknowledgement at the end: the
//    rate the loopback path allows when nothing is done per message but writing its sequence
//    number and checking it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "clock.hpp"
#include "remote.hpp"

namespace jaegis::bench::vs {

figures remote_pingpong_figures(std::vector<std::uint64_t>& ticks, std::uint64_t span_ns,
                                const char* who) {
  const double round_trips = static_cast<double>(ticks.size());
  figures f = latency_figures(ticks, who, "rtt", "us", 1000.0, true);
  f.push_back({"rate", "rt/s", round_trips * 1e9 / static_cast<double>(span_ns)});
  return f;
}

namespace remote_floor {
namespace {

/// Messages per write of the throughput floor: 64 KiB, the size of a loopback segment.
constexpr std::size_t stream_batch = 1024;

[[noreturn]] void socket_failure(const char* what) {
  std::string text = "remote floor: ";
  text += what;
  text += ": ";
  text += std::strerror(errno);
  require(false, text);
  std::abort();  // not reached: require(false, ...) ends the program
}

/// A socket that closes itself.
class socket_fd {
 public:
  explicit socket_fd(int fd) : fd_(fd) {
    if (fd_ < 0) socket_failure("socket");
  }
  socket_fd(const socket_fd&) = delete;
  socket_fd& operator=(const socket_fd&) = delete;
  ~socket_fd() { close(fd_); }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

void set_nodelay(int fd) {
  const int on = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) socket_failure("TCP_NODELAY");
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/// Reads exactly `size` bytes; false at the peer's orderly close before the first byte.
bool read_full(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = recv(fd, p + done, size - done, 0);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (got == 0) {
      if (done == 0) return false;
      errno = ECONNRESET;
      socket_failure("connection closed inside a message");
    } else if (errno != EINTR) {
      socket_failure(errno == EAGAIN ? "no data within the round limit" : "recv");
    }
  }
  return true;
}

void write_full(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < size) {
    // MSG_NOSIGNAL: a dead peer is an error reported here, not a SIGPIPE that ends the process.
    const ssize_t put = send(fd, p + done, size - done, MSG_NOSIGNAL);
    if (put > 0) {
      done += static_cast<std::size_t>(put);
    } else if (put < 0 && errno != EINTR) {
      socket_failure("send");
    }
  }
}

/// The parent's connection to the peer, with a receive timeout so that a silent peer ends the
/// round with a message instead of a hang.
int connect_to(const peer_process& peer) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) socket_failure("socket");
  const sockaddr_in a = loopback(peer.port());
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) socket_failure("connect");
  set_nodelay(fd);
  const timeval limit{static_cast<time_t>(remote_round_limit.count()), 0};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0) {
    socket_failure("SO_RCVTIMEO");
  }
  return fd;
}

/// The peer's side: listens on 127.0.0.1 (ephemeral port), reports the port, accepts one
/// connection.
int accept_parent(const peer_args& args) {
  socket_fd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in a = loopback(0);
  if (bind(listener.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    socket_failure("bind");
  }
  if (listen(listener.get(), 1) != 0) socket_failure("listen");
  sockaddr_in bound{};
  socklen_t len = sizeof bound;
  if (getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    socket_failure("getsockname");
  }
  args.report_port(ntohs(bound.sin_port));
  const int fd = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) socket_failure("accept");
  set_nodelay(fd);
  return fd;
}

struct throughput_ack {
  std::uint64_t received;
  std::uint64_t out_of_order;
};

}  // namespace

figures pingpong(const run_params& p, const peer_process& peer) {
  socket_fd s(connect_to(peer));
  return floor_pingpong(
      p,
      [&](floor_ping& m) {
        write_full(s.get(), &m, sizeof m);
        require(read_full(s.get(), &m, sizeof m), "remote floor: the peer closed the connection");
      },
      "floor remote-pingpong");
}

figures throughput(const run_params& p, const peer_process& peer) {
  socket_fd s(connect_to(peer));
  const std::uint64_t messages = p.n.remote_messages;
  std::vector<std::array<char, remote_payload_bytes>> batch(stream_batch);
  for (auto& m : batch)
    m.fill('x');
  const std::uint64_t start_ns = now_ns();
  for (std::uint64_t sent = 0; sent < messages;) {
    const std::size_t count =
        static_cast<std::size_t>(std::min<std::uint64_t>(stream_batch, messages - sent));
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint64_t seq = sent + k;
      std::memcpy(batch[k].data(), &seq, sizeof seq);
    }
    write_full(s.get(), batch.data(), count * remote_payload_bytes);
    sent += count;
  }
  throughput_ack ack{};
  require(read_full(s.get(), &ack, sizeof ack), "remote floor: the peer sent no acknowledgement");
  const std::uint64_t span = now_ns() - start_ns;
  require(ack.received == messages && ack.out_of_order == 0,
          "remote floor: the peer received " + std::to_string(ack.received) + " of " +
              std::to_string(messages) + ", " + std::to_string(ack.out_of_order) + " out of order");
  return remote_throughput_figures(messages, span);
}

int serve_pingpong(const peer_args& a) {
  socket_fd s(accept_parent(a));
  floor_ping m{};
  while (read_full(s.get(), &m, sizeof m))
    write_full(s.get(), &m, sizeof m);
  return 0;  // the parent closed the connection: the end of service
}

int serve_throughput(const peer_args& a) {
  socket_fd s(accept_parent(a));
  const std::uint64_t messages = a.n().remote_messages;
  std::vector<std::array<char, remote_payload_bytes>> batch(stream_batch);
  throughput_ack ack{};
  while (ack.received < messages) {
    const std::size_t count =
        static_cast<std::size_t>(std::min<std::uint64_t>(stream_batch, messages - ack.received));
    require(read_full(s.get(), batch.data(), count * remote_payload_bytes),
            "remote floor: the parent closed the connection early");
    for (std::size_t k = 0; k < count; ++k) {
      std::uint64_t seq = 0;
      std::memcpy(&seq, batch[k].data(), sizeof seq);
      if (seq != ack.received) ++ack.out_of_order;
      ++ack.received;
    }
  }
  write_full(s.get(), &ack, sizeof ack);
  char end = 0;
  // Wait for the parent's close, so that the acknowledgement is never cut off by an exit.
  while (recv(s.get(), &end, 1, 0) > 0) {
  }
  return 0;
}

}  // namespace remote_floor
}  // namespace jaegis::bench::vs
