#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "jaegis/framework/actor_system.hpp"
#include "jaegis/samples/topology.hpp"

namespace jaegis {
class remote_node;
struct node_info;
}  // namespace jaegis

namespace jaegis::samples {

/// What the listening process waits for: the connecting side telling it that the run is over.
/// The served actors call finish(); the runner's main thread waits.
class serve_session {
 public:
  /// Records the listening side's one-line account of what it served. The first call counts.
  void finish(std::string summary) {
    std::lock_guard lock(mutex_);
    if (!summary_) summary_ = std::move(summary);
    over_.notify_all();
  }

  bool over() {
    std::lock_guard lock(mutex_);
    return summary_.has_value();
  }

  /// The summary, once finish() was called; nothing if `timeout` passed first.
  std::optional<std::string> wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    over_.wait_for(lock, timeout, [this] { return summary_.has_value(); });
    return summary_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable over_;
  std::optional<std::string> summary_;
};

/// The two-process variant of a topology (the runner's --node): one process serves part of the
/// agents (`serve`, in the process started with --node listen:PORT), the other connects to it,
/// runs the rest of the topology against remote refs to them, checks the invariant with counts
/// from both sides, and reports (`drive`, in the process started with --node connect:HOST:PORT).
struct remote_mode {
  std::string_view served;  ///< what the listening process holds, for --help ("the pongers")
  /// Defaults under --node: what a run over loopback does in a few seconds on 2 cores.
  std::uint64_t default_agents = 0;
  std::uint64_t default_messages = 0;
  /// Publishes the served half on `node` (before it listens); its actors call
  /// `session.finish()` when the connecting side says the run is over.
  void (*serve)(actor_system&, remote_node&, serve_session& session) = nullptr;
  /// Runs the topology against `peer`'s served half. Every actor it spawned has stopped when it
  /// returns. Throws (std::runtime_error, remote_error) if the peer cannot be used.
  outcome (*drive)(actor_system&, remote_node&, const node_info& peer, const topology_params&,
                   progress&) = nullptr;
};

}  // namespace jaegis::samples
