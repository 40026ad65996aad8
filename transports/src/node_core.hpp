#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <jaegis/framework/actor_system.hpp>
#include <jaegis/framework/transport.hpp>
#include <jaegis/transports/remote_node.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "peer_session.hpp"

namespace jaegis::detail {

/// What remote_node is made of: the carriers, the sessions, the published names, the pending
/// connects, the heartbeat thread.
class node_core final : public net::session_factory {
 public:
  node_core(actor_system& system, remote_node_config config);
  ~node_core() override;

  // net::session_factory (carrier threads)
  net::session& open_session(net::connection& c, bool initiator, std::uint64_t cookie) override;
  void connect_failed(std::uint64_t cookie, std::string_view reason) override;

  // Sessions report.
  void on_established(const std::shared_ptr<peer_session>& s);
  void on_handshake_failed(peer_session& s, std::string_view why);
  void on_session_closed(peer_session& s, std::string_view reason, bool was_established);
  /// The published actor `name` if its class hash matches (0: any); else why not.
  actor_ref find_published(std::string_view name, std::uint64_t actor_type, std::uint8_t& status);

  void add_transport(std::unique_ptr<net::transport> carrier);
  net::transport& carrier(std::string_view scheme);
  std::uint16_t listen(std::string_view scheme, std::string_view host, std::uint16_t port);
  remote_future<node_info> connect(std::string_view scheme, std::string_view host,
                                   std::uint16_t port, std::chrono::milliseconds timeout);
  void publish(std::string_view name, const actor_ref& actor, std::uint64_t actor_type);
  bool unpublish(std::string_view name);
  remote_future<actor_ref> lookup(const node_info& peer, std::string_view name,
                                  std::uint64_t actor_type);
  void tick();
  std::vector<node_info> peers() const;
  void disconnect(std::uint64_t node_id);
  remote_node_stats stats() const;
  void shutdown();

  actor_system& system() noexcept { return system_; }
  const remote_node_config& config() const noexcept { return config_; }
  const transports::node_identity& identity() const noexcept { return identity_; }
  std::int64_t now_ms() const { return config_.clock_ms(); }
  void log(std::string_view line) const;

  std::atomic<std::uint64_t> frames_received{0};
  std::atomic<std::uint64_t> protocol_errors{0};

 private:
  void heartbeat_loop();

  actor_system& system_;
  remote_node_config config_;
  transports::node_identity identity_;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<net::transport>> carriers_;
  std::vector<std::shared_ptr<peer_session>> sessions_;  ///< open connections, any state
  std::unordered_map<std::uint64_t, std::shared_ptr<peer_session>> peers_;  ///< by node id
  std::unordered_map<std::uint64_t, std::shared_ptr<remote_op<node_info>>> connects_;
  struct published_actor {
    actor_ref actor;
    std::uint64_t actor_type;
  };
  std::map<std::string, published_actor, std::less<>> published_;
  std::uint64_t next_cookie_ = 0;
  std::uint64_t connections_opened_ = 0;
  std::uint64_t nodes_down_ = 0;
  bool shut_down_ = false;

  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_wake_;
  bool heartbeat_stop_ = false;
  std::thread heartbeat_;
};

}  // namespace jaegis::detail
