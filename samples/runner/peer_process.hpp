#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "jaegis/samples/node_option.hpp"

namespace jaegis::samples {

/// The listening copy of jaegis-samples that `--node both` starts: this program again
/// (/proc/self/exe), with its stdout on a pipe from which the parent learns the address. The child
/// never outlives the parent: it dies with it (PR_SET_PDEATHSIG), and the destructor kills and
/// reaps a child still running, so every error path of the parent ends it too.
///
/// Start it before the process has other threads: fork() copies only the calling thread, and
/// PR_SET_PDEATHSIG fires when the thread that forked exits, so that must be the main thread.
class peer_process {
 public:
  /// Starts `program args...` (default: this program) and waits up to `timeout` for its
  /// listening line (node_option.hpp). Throws std::runtime_error, having killed and reaped the
  /// child, if it exits or stays silent first.
  peer_process(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
               std::string program = "/proc/self/exe");
  ~peer_process();
  peer_process(const peer_process&) = delete;
  peer_process& operator=(const peer_process&) = delete;

  /// The TCP port of its listening line; 0 for another carrier.
  std::uint16_t port() const noexcept { return target_.port; }
  /// Where to connect to reach it (the address of its listening line).
  const node_option& target() const noexcept { return target_; }
  /// Removes `path` (if not empty) once the child is gone: the socket file of a listener that was
  /// killed, which it could not remove itself.
  void remove_on_exit(std::string path) { remove_ = std::move(path); }

  /// Waits up to `timeout` for the child to exit, copying the rest of its stdout to `echo` (each
  /// line after `prefix`). Returns "" if it exited with status 0, else what went wrong (it is
  /// killed and reaped if it did not exit in time).
  std::string finish(std::chrono::milliseconds timeout, std::FILE* echo, const std::string& prefix);

 private:
  /// Reads what the child wrote, until a whole line is in, EOF, or the deadline. False at EOF.
  bool read_some(std::chrono::steady_clock::time_point deadline);
  void kill_and_reap() noexcept;
  std::string status_text(int status) const;

  pid_t pid_ = -1;
  int out_ = -1;  ///< the read end of the child's stdout
  node_option target_;
  std::string remove_;
  std::string pending_;  ///< bytes read but not yet a whole line
};

}  // namespace jaegis::samples
