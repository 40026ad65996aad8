#pragma once

#include <chrono>
#include <condition_variable>
#include <jaegis/framework/actor.hpp>
#include <jaegis/framework/actor_cell.hpp>
#include <memory>
#include <mutex>

namespace jaegis::detail {

class peer_session;

/// To a proxy: the remote actor it stands for stopped, or its node was lost.
struct proxy_stop {
  error reason;
};
/// To a proxy: the peer's backlog has drained; send what you hold.
struct proxy_resume {};
/// Counts proxies that have handed everything sent to them before a shutdown to their session.
struct flush_latch {
  explicit flush_latch(std::size_t n) : left(n) {}
  void count_down() {
    std::lock_guard lock(mutex);
    if (left > 0 && --left == 0) done.notify_all();
  }
  /// False if `limit` passed first.
  bool wait(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex);
    return done.wait_for(lock, limit, [&] { return left == 0; });
  }
  std::mutex mutex;
  std::condition_variable done;
  std::size_t left;
};
/// To a proxy: count `latch` down once everything queued before this is with the session.
struct proxy_flush {
  std::shared_ptr<flush_latch> latch;
};
/// To the proxy of a remote actor: that actor, linked to local actor `local`, sends it an exit.
struct proxy_exit {
  actor_id local = 0;
  error reason;
};

/// The local stand-in for an actor on another node. Whatever reaches its mailbox is handed to
/// the session, which serialises and frames it: messages, requests (the session keeps the
/// requester until the answer comes back), responses to requests the peer made of local actors,
/// and exits from local actors linked to it (it traps exits for that). It stops with the remote
/// actor's reason when that actor stops, or with node_down when the connection is lost, so local
/// monitors and links see a remote actor exactly as a local one.
///
/// Backpressure: when the connection's backlog is over the node's outbound_limit the proxy holds
/// what it is sent, in order, and asks to be resumed once the carrier has sent half of it.
class remote_proxy final : public actor_base {
 public:
  remote_proxy(std::shared_ptr<peer_session> session, actor_id remote);
  ~remote_proxy() override;

  bool dispatch(envelope& e) override;

 private:
  /// Keeps the message being dispatched, in order, until the session has room.
  void hold_current();
  void send_held();
  void drop_held(const error& why) noexcept;

  void release_flushes() noexcept;

  std::shared_ptr<peer_session> session_;
  actor_id remote_;
  envelope_fifo held_;
  std::vector<std::shared_ptr<flush_latch>> flushes_;  ///< waiting for held_ to drain
};

/// One per connection: watches local actors on the peer's behalf (a monitor frame) and tells the
/// peer when they stop (a down frame).
struct watch_request {
  actor_id local = 0;
};
struct agent_stop {};

class peer_agent final : public actor<peer_agent, watch_request, down_msg, agent_stop> {
 public:
  explicit peer_agent(std::shared_ptr<peer_session> session) : session_(std::move(session)) {}
  void on(watch_request& w);
  void on(down_msg& d);
  void on(agent_stop&) { quit(); }

 private:
  std::shared_ptr<peer_session> session_;
};

}  // namespace jaegis::detail
