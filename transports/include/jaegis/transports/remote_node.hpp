#pragma once

// A node: one actor system's presence on the network. It listens and connects through carriers
// (TCP by default; any jaegis::net::transport), authenticates peers with the handshake, publishes
// local actors by name, looks up remote ones, and hands out refs to them that are used exactly
// like local refs: send, request with a timeout, monitor, link.
//
//     jaegis::actor_system system;
//     jaegis::remote_node node(system);                 // node id random, secret from
//     JAEGIS_SECRET node.publish("counter", system.spawn<counter>()); std::uint16_t port =
//     node.listen("127.0.0.1", 0);
//
//     // in another process
//     auto peer = node.connect("127.0.0.1", port);
//     jaegis::ref<counter> c = node.lookup<counter>(peer, "counter");
//     c.send(add{5});                                  // serialised, framed, sent
//
// A remote ref is a ref to a local proxy actor that stands for the remote one: what is sent to it
// is serialised and framed onto the peer's connection; what comes back (responses, the remote
// actor's stop) is delivered through it. So monitors of a remote ref get a down_msg when the
// remote actor stops or its node is lost (reason node_down), links get an exit_msg, and requests
// pending on a lost node fail with node_down. A node that comes back is a new incarnation: refs
// to its previous life stay dead, and a new lookup gives new refs.
//
// Types: every message type of an actor class looked up or published must be declared with
// JAEGIS_REMOTE_TYPE (checked at compile time by lookup<A>() and publish<A>()), and so must the
// results of its handlers (void handlers answer jaegis::unit_t, which is built in). Untyped sends
// of other types through a remote ref are refused by the proxy with a logged error (and an error
// response to a request), never sent: add_type<T>() registers a type for untyped use.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <jaegis/framework/actor_system.hpp>
#include <jaegis/framework/ref.hpp>
#include <jaegis/framework/transport.hpp>
#include <jaegis/transports/frame.hpp>
#include <jaegis/transports/handshake.hpp>
#include <jaegis/transports/remote_future.hpp>
#include <jaegis/transports/shared_secret.hpp>
#include <jaegis/transports/stable_type_id.hpp>
#include <jaegis/transports/wire_codec.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace jaegis {

struct remote_node_config {
  /// This node's id; 0 picks a random one. Must differ between the nodes of a cluster.
  std::uint64_t node_id = 0;
  /// The cluster's shared secret (at least 16 bytes), or none. Without one the node only
  /// listens on loopback. from_env() reads JAEGIS_SECRET.
  transports::shared_secret secret;
  /// A node that has sent nothing for this long sends a heartbeat; a peer silent for three of
  /// its own intervals is declared down.
  std::chrono::milliseconds heartbeat_interval{1000};
  /// A connection whose handshake has not finished by then is closed.
  std::chrono::milliseconds handshake_timeout{5000};
  /// The largest payload this node accepts (announced to peers).
  std::uint32_t max_payload = transports::default_max_payload;
  /// Bytes of frames queued for one peer beyond which proxies stop serialising and hold their
  /// messages (in order, nothing dropped) until the carrier has sent half of the backlog. See
  /// transports/README.md, "Backpressure".
  std::size_t outbound_limit = std::size_t{8} << 20;
  /// How long disconnect() and shutdown() wait for the proxies to hand over what was sent to them
  /// before the call (so that it goes out before the goodbye). 0: no wait, for the deterministic
  /// executor, on which nothing runs while the caller waits.
  std::chrono::milliseconds close_flush_timeout{2000};
  /// I/O threads of the default TCP carrier.
  std::size_t tcp_io_threads = 1;
  /// False: no heartbeat thread; the owner calls tick() (tests on the deterministic executor).
  bool run_heartbeat_thread = true;
  /// Milliseconds on a monotonic clock; default: std::chrono::steady_clock.
  std::function<std::int64_t()> clock_ms;
  /// Where connection events and protocol errors are logged; default: the actor system's log.
  std::function<void(std::string_view)> log;

  /// Overlays JAEGIS_SECRET and JAEGIS_NODE_ID. Throws std::invalid_argument on a bad value.
  static remote_node_config from_env(remote_node_config defaults);
  static remote_node_config from_env();
};

/// A peer node as a connection found it.
struct node_info {
  std::uint64_t node_id = 0;
  std::uint64_t incarnation = 0;
  std::string address;  ///< the carrier's description of the peer ("127.0.0.1:40312")
};

/// Counters of one node, for tests and diagnostics.
struct remote_node_stats {
  std::uint64_t frames_received = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t protocol_errors = 0;  ///< connections closed for bad input
  std::uint64_t nodes_down = 0;
  std::size_t peers = 0;    ///< established connections now
  std::size_t proxies = 0;  ///< remote actors with a local proxy now
};

namespace detail {
class node_core;

/// FNV-1a of the actor class's C++ name: what lookup<A> and publish<A> compare across nodes.
template <class A>
constexpr std::uint64_t actor_type_hash() {
  return transports::stable_type_id(type_name<A>());
}

template <class A, class M>
void add_message_codecs() {
  if constexpr (!std::is_same_v<M, down_msg> && !std::is_same_v<M, exit_msg>) {
    transports::wire_codecs::instance().add<M>();
    using handler_result = decltype(std::declval<A&>().on(std::declval<M&>()));
    using R = typename response_of<handler_result>::type;
    transports::wire_codecs::instance().add<R>();
  }
}

template <class A, class Tuple>
struct codecs_of_actor;
template <class A, class... Ms>
struct codecs_of_actor<A, std::tuple<Ms...>> {
  static void add() { (add_message_codecs<A, Ms>(), ...); }
};
}  // namespace detail

class remote_node {
 public:
  /// With remote_node_config::from_env() (JAEGIS_SECRET, JAEGIS_NODE_ID).
  explicit remote_node(actor_system& system);
  remote_node(actor_system& system, remote_node_config config);
  /// shutdown()
  ~remote_node();
  remote_node(const remote_node&) = delete;
  remote_node& operator=(const remote_node&) = delete;

  const transports::node_identity& identity() const noexcept;

  /// Adds a carrier (its scheme names it in addresses). TCP is added on first use.
  void add_transport(std::unique_ptr<net::transport> carrier);

  /// Accepts peers on `host:port` over TCP (port 0 picks a free port); returns the port. Without
  /// a secret only loopback addresses are allowed (std::invalid_argument otherwise).
  std::uint16_t listen(std::string_view host = "127.0.0.1", std::uint16_t port = 0);
  /// The same through the carrier of `scheme` ("tcp", "mem", ...).
  std::uint16_t listen(std::string_view scheme, std::string_view host, std::uint16_t port);

  /// Connects to a node over TCP and runs the handshake; returns the peer once established.
  /// Throws remote_error (connection refused, authentication failed, timeout...). Not from an
  /// actor's handler (it blocks).
  node_info connect(std::string_view host, std::uint16_t port,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
  /// The same without blocking, through the carrier of `scheme`.
  remote_future<node_info> connect_async(std::string_view scheme, std::string_view host,
                                         std::uint16_t port, std::chrono::milliseconds timeout);

  /// Makes `actor` reachable by `name` from peers (replacing an earlier binding). Registers the
  /// wire codecs of every message A accepts (each must be a remote type: compile-time check).
  template <class A>
  void publish(std::string_view name, const ref<A>& actor) {
    detail::codecs_of_actor<A, typename A::message_types>::add();
    publish_untyped(name, actor.untyped(), detail::actor_type_hash<A>());
  }
  /// Unbinds `name`. True if it was bound.
  bool unpublish(std::string_view name);

  /// A ref to the actor `peer` published as `name`, which must be an A. Throws remote_error
  /// (not connected, no such name, another actor class, node down, timeout). Blocks.
  template <class A>
  ref<A> lookup(const node_info& peer, std::string_view name,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return typed<A>(lookup_async<A>(peer, name).get(timeout));
  }
  /// The same without blocking: the future's get(timeout) bounds the wait. (The answer always
  /// comes, or the node is declared down, which fails it.)
  template <class A>
  remote_future<actor_ref> lookup_async(const node_info& peer, std::string_view name) {
    detail::codecs_of_actor<A, typename A::message_types>::add();
    return lookup_untyped(peer, name, detail::actor_type_hash<A>());
  }
  /// An untyped ref (any published actor): sends must use registered types (add_type).
  remote_future<actor_ref> lookup_untyped(const node_info& peer, std::string_view name,
                                          std::uint64_t actor_type);

  template <class A>
  static ref<A> typed(const actor_ref& r) {
    if (!r) return ref<A>{};
    r.cell()->retain();
    return ref<A>::adopt(r.cell());
  }

  /// Registers T for untyped sends and responses.
  template <class T>
  void add_type() {
    transports::wire_codecs::instance().add<T>();
  }

  /// Sends heartbeats that are due and declares silent peers down; the heartbeat thread calls it
  /// every half interval (unless run_heartbeat_thread is false).
  void tick();

  /// Established peers now.
  std::vector<node_info> peers() const;
  /// Closes the connection to `node_id` (a goodbye first); its actors' monitors get down messages.
  void disconnect(std::uint64_t node_id);
  remote_node_stats stats() const;

  /// Says goodbye to every peer, flushes what was sent, closes every connection and stops the
  /// carriers. Remote refs held afterwards behave as refs to stopped actors. Idempotent.
  void shutdown();

 private:
  void publish_untyped(std::string_view name, const actor_ref& actor, std::uint64_t actor_type);

  std::unique_ptr<detail::node_core> core_;
};

}  // namespace jaegis
