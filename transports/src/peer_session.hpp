#pragma once

#include <atomic>
#include <cstdint>
#include <jaegis/framework/actor_system.hpp>
#include <jaegis/framework/response.hpp>
#include <jaegis/framework/transport.hpp>
#include <jaegis/transports/frame_codec.hpp>
#include <jaegis/transports/handshake.hpp>
#include <jaegis/transports/remote_future.hpp>
#include <jaegis/transports/remote_node.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "outbound_queue.hpp"

namespace jaegis::detail {

class node_core;

/// The protocol on one connection: the handshake, then frames both ways between local actors and
/// the peer node's. Owned by shared_ptr: the node holds it while the connection is open, and each
/// proxy of a remote actor holds it while it exists.
///
/// Threads: the carrier calls the net::session methods from one thread at a time (its I/O
/// thread). Proxies call relay() from any worker. Every path that queues a frame enters a
/// send_guard first, so that once the connection is closed nobody touches the carrier's
/// connection object again (on_closed waits for the senders inside).
class peer_session final : public net::session, public std::enable_shared_from_this<peer_session> {
 public:
  peer_session(node_core& core, net::connection& connection, bool initiator, std::uint64_t cookie);
  ~peer_session() override;

  void start();

  // net::session (the carrier's thread)
  void on_bytes(std::span<const std::byte> bytes) override;
  std::size_t gather(std::span<net::io_slice> out) override;
  void sent(std::size_t bytes) override;
  void on_closed(std::string_view reason) override;

  /// A proxy hands over what was sent to the remote actor `remote`: a message, a request, a
  /// response to a request the peer made, or an exit from a link. False if the connection is
  /// congested: the proxy holds `e` and retries after a resume.
  bool relay(envelope& e, actor_id remote);
  /// Asks the peer to say when `remote` stops (every proxy does once).
  void send_monitor(actor_id remote);
  /// Tells the peer that local actor `who` stopped (it monitored it).
  void send_down(actor_id who, const error& reason);
  /// Registers `proxy` to be sent a proxy_resume once the backlog has drained (at once if it has).
  void wait_for_room(actor_id proxy);
  /// Asks for the actor the peer published as `name`.
  void lookup(std::string_view name, std::uint64_t actor_type,
              std::shared_ptr<remote_op<actor_ref>> op);

  /// Heartbeats and timeouts, at `now_ms`.
  void tick(std::int64_t now_ms);
  /// Closes with a goodbye frame first (clean shutdown or disconnect), after every proxy has
  /// handed over what was sent to it before this call (waiting up to `flush_limit`).
  void close_with_goodbye(std::string_view why,
                          std::chrono::milliseconds flush_limit = std::chrono::milliseconds(0));
  /// Closes at once (bad input, timeouts).
  void close(std::string_view why);

  /// Wakes the carrier for frames queued earlier (deferred to the end of an actor run).
  void wake_carrier() noexcept;

  bool established() const noexcept {
    // acquire: pairs with the release store when the handshake completes (peer_ is set before).
    return state_.load(std::memory_order_acquire) == state::established;
  }
  bool closed() const noexcept {
    // acquire: pairs with on_closed's store.
    return state_.load(std::memory_order_acquire) == state::closed;
  }
  const transports::peer_parameters& peer() const noexcept { return handshake_.peer(); }
  node_info info() const;
  std::uint64_t cookie() const noexcept { return cookie_; }
  bool initiator() const noexcept { return initiator_; }
  std::size_t proxy_count() const;
  /// The proxy of `remote`, created on first use (empty once closed).
  actor_ref proxy_for(actor_id remote);

 private:
  enum class state : std::uint8_t { handshaking, established, closed };

  class send_guard;
  struct pending_lookup {
    std::string name;
    std::shared_ptr<remote_op<actor_ref>> op;
  };

  void handle_frame(const transports::frame_view& f);
  void handle_handshake_frame(const transports::frame_view& f);
  void deliver(const transports::frame_view& f);
  void complete_request(const transports::frame_view& f);
  void answer_lookup(const transports::frame_view& f);
  void complete_lookup(const transports::frame_view& f);
  /// The reason in an error_response, down or exit payload; false (a protocol error) if malformed.
  bool read_error(const transports::frame_view& f, error& out);
  void on_remote_down(const transports::frame_view& f);
  void on_remote_exit(const transports::frame_view& f);
  template <class M>
  void agent_send(M&& msg);
  void protocol_error(std::string why);

  // Queueing frames: false if the connection is closed (or the payload too large).
  bool push_frame(transports::frame_header h, std::span<const std::byte> payload);
  bool push_frame_bytes(std::span<const std::byte> frame);
  bool push_error(transports::frame_header h, const error& e);
  bool push_encoded(transports::frame_header h, const transports::wire_codec& codec, envelope& e);
  void push_raw(transports::outbound_frame* f);
  void fail_everything(const error& why);
  void resume_waiters();

  node_core& core_;
  actor_system& system_;
  net::connection& connection_;
  const bool initiator_;
  const std::uint64_t cookie_;
  transports::handshake handshake_;
  transports::frame_decoder decoder_;
  std::atomic<state> state_{state::handshaking};
  const std::int64_t opened_at_ms_;
  std::int64_t last_heard_ms_;  ///< tick()'s own
  const std::string address_;
  std::atomic<bool> heard_since_tick_{false};
  std::atomic<bool> sent_since_tick_{false};

  // Sending.
  transports::outbound_queue queue_;
  /// Frames gather() handed out, oldest first, and how much of the first is sent.
  jaegis::detail::mailbox_node* in_flight_head_ = nullptr;
  jaegis::detail::mailbox_node* in_flight_tail_ = nullptr;
  std::size_t first_sent_ = 0;
  std::atomic<std::size_t> queued_bytes_{0};
  std::atomic<std::uint32_t> senders_inside_{0};
  std::atomic<bool> closing_{false};
  std::atomic<bool> close_requested_{false};  ///< close() was called: deliver nothing more
  std::atomic<bool> has_waiters_{false};

  // Rare paths, under the mutex.
  mutable std::mutex mutex_;
  std::unordered_map<actor_id, actor_ref> proxies_;  ///< remote actor id -> its proxy
  std::vector<actor_id> waiting_proxies_;
  /// Requests local actors made of the peer's actors: wire request id -> requester.
  std::unordered_map<std::uint64_t, open_request> pending_;
  std::unordered_map<std::uint64_t, pending_lookup> lookups_;
  std::uint64_t next_request_id_ = 0;
  std::string close_reason_;  ///< the session's own reason for closing, if it closed first
  actor_ref agent_;           ///< watches local actors for the peer (peer_agent)
};

}  // namespace jaegis::detail
