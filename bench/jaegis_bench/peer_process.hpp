#pragma once

// The second process of a remote workload: jaegis-bench itself, re-executed.
//
// Protocol, in order:
//  1. The parent (process 1, on its main thread, before it builds the round's actor system)
//     starts `/proc/self/exe --remote-peer WORKLOAD IMPL PARENT_PID WORKERS QUICK` with
//     posix_spawn, the write end of a pipe as the peer's fd 3. Starting the peer before any
//     framework exists in the parent keeps the parent's sockets out of the peer; exec (never a
//     bare fork) keeps the parent's threads and locks out of it.
//  2. The peer asks for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG), then checks that
//     PARENT_PID still is its parent: a parent that died before the prctl would otherwise leave
//     it running. Note the kernel sends that signal when the *thread* that spawned the peer
//     ends, hence "on its main thread" above.
//  3. The peer builds its side (a listening socket, an actor system with a published actor) on
//     127.0.0.1, an ephemeral port, and writes the port as one decimal line to fd 3
//     (peer_args::report_port). The parent waits for that line at most `startup_limit`; an
//     early end of the pipe (the peer died) or a timeout kills and reaps the peer and ends the
//     parent with status 4.
//  4. The parent connects and runs the workload. A thread of the parent waits for the peer's
//     end meanwhile: a peer that ends with a non-zero status or a signal before the parent
//     stops it ends the parent at once (the peer's status, or 4), instead of leaving the parent
//     to wait for replies that will never come. A peer that exits with status 0 (the raw-TCP
//     floor, when the parent closes its socket) is no failure.
//  5. The parent stops the peer (stop(), also run by the destructor): SIGTERM, SIGKILL after a
//     grace period, and reaps it. A peer serves until then; it needs no clean exit, because
//     everything it checks it reports to the parent in its replies.
//  If the parent itself ends abnormally (require(): _Exit), step 2's signal ends the peer.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "workloads.hpp"

namespace jaegis::bench::vs {

/// What the peer process is asked to serve, as it travels on the peer's command line.
struct peer_args {
  std::string workload;  ///< "remote-pingpong", "remote-throughput"
  std::string impl;      ///< "floor", "jaegis", "caf"
  std::size_t workers = 1;
  bool quick = false;
  int port_fd = -1;  ///< in the peer: where report_port() writes

  sizes n() const { return quick ? quick_sizes() : full_sizes(); }
  /// In the peer: tells the parent the port it listens on (once, when it accepts connections).
  void report_port(std::uint16_t port) const;
};

/// The hidden first argument that makes jaegis-bench a peer.
inline constexpr std::string_view remote_peer_flag = "--remote-peer";

/// The peer's main(): parses `--remote-peer ...`, arms the parent-death signal, and returns
/// serve(args) as the process status (2 on a bad command line).
int remote_peer_main(int argc, char** argv, int (*serve)(const peer_args&));

/// The parent's handle on one running peer. Not copyable or movable: a thread waits on it.
class peer_process {
 public:
  /// Starts the peer and waits for its port; see the protocol above. Ends the program (status 4)
  /// if the peer cannot be started or reports no port within `startup_limit`.
  explicit peer_process(peer_args what,
                        std::chrono::seconds startup_limit = std::chrono::seconds(60));
  peer_process(const peer_process&) = delete;
  peer_process& operator=(const peer_process&) = delete;
  ~peer_process() { stop(); }

  /// The port the peer listens on, on 127.0.0.1.
  std::uint16_t port() const noexcept { return port_; }
  const peer_args& args() const noexcept { return args_; }

  /// Ends the peer (SIGTERM, then SIGKILL after `grace`) and reaps it. Idempotent.
  void stop(std::chrono::seconds grace = std::chrono::seconds(5));

 private:
  void watch();
  [[noreturn]] void fail(const std::string& why);

  peer_args args_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  std::condition_variable exited_cv_;
  bool stopping_ = false;  ///< stop() was called: an exit from now on is expected
  bool exited_ = false;    ///< the peer ended (possibly not yet reaped)
  std::thread watcher_;
};

}  // namespace jaegis::bench::vs
