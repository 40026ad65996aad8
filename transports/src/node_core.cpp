#include "node_core.hpp"

#include <jaegis/transports/secure_random.hpp>
#include <jaegis/transports/tcp_transport.hpp>
#include <stdexcept>

namespace jaegis::detail {

namespace {
std::uint64_t random_nonzero() {
  std::uint64_t value = 0;
  while (value == 0) {
    std::array<std::byte, 8> bytes{};
    transports::fill_secure_random(bytes);
    std::memcpy(&value, bytes.data(), sizeof value);
  }
  return value;
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Whom each side keeps when two connections link the same pair of nodes: the one opened by the
/// node with the smaller id. Both sides apply the same rule, so they close the same one.
std::uint64_t initiator_node(const peer_session& s, std::uint64_t self) {
  return s.initiator() ? self : s.peer().identity.node_id;
}
}  // namespace

node_core::node_core(actor_system& system, remote_node_config config)
    : system_(system), config_(std::move(config)) {
  if (config_.heartbeat_interval.count() < 1 || config_.heartbeat_interval.count() > 3600000) {
    throw std::invalid_argument("jaegis: remote_node heartbeat_interval must be 1 ms .. 1 h");
  }
  if (config_.max_payload < 1024) {
    throw std::invalid_argument("jaegis: remote_node max_payload must be at least 1024 bytes");
  }
  if (!config_.clock_ms) config_.clock_ms = &steady_ms;
  identity_.node_id = config_.node_id != 0 ? config_.node_id : random_nonzero();
  identity_.incarnation = random_nonzero();
  if (config_.run_heartbeat_thread) heartbeat_ = std::thread([this] { heartbeat_loop(); });
}

node_core::~node_core() {
  shutdown();
}

void node_core::log(std::string_view line) const {
  if (config_.log) {
    config_.log(line);
  } else {
    system_.log(line);
  }
}

// ---- carriers ----------------------------------------------------------------------------------

void node_core::add_transport(std::unique_ptr<net::transport> carrier) {
  std::lock_guard lock(mutex_);
  if (shut_down_) throw std::logic_error("jaegis: remote_node is shut down");
  for (const auto& c : carriers_) {
    if (c->scheme() == carrier->scheme()) {
      throw std::invalid_argument("jaegis: a carrier for this scheme is already added");
    }
  }
  carrier->start(*this);
  carriers_.push_back(std::move(carrier));
}

net::transport& node_core::carrier(std::string_view scheme) {
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) throw std::logic_error("jaegis: remote_node is shut down");
    for (const auto& c : carriers_) {
      if (c->scheme() == scheme) return *c;
    }
  }
  if (scheme != "tcp") {
    std::string what = "jaegis: no carrier for scheme '";
    what += scheme;
    what += "' (add it with remote_node::add_transport)";
    throw std::invalid_argument(what);
  }
  transports::tcp_config tcp;
  tcp.io_threads = config_.tcp_io_threads;
  tcp.log = [this](std::string_view line) { log(line); };
  add_transport(transports::make_tcp_transport(std::move(tcp)));
  return carrier(scheme);
}

std::uint16_t node_core::listen(std::string_view scheme, std::string_view host,
                                std::uint16_t port) {
  return carrier(scheme).listen(host, port, !config_.secret.empty());
}

remote_future<node_info> node_core::connect(std::string_view scheme, std::string_view host,
                                            std::uint16_t port, std::chrono::milliseconds timeout) {
  net::transport& c = carrier(scheme);
  auto op = std::make_shared<remote_op<node_info>>();
  std::uint64_t cookie = 0;
  {
    std::lock_guard lock(mutex_);
    cookie = ++next_cookie_;
    connects_.emplace(cookie, op);
  }
  c.connect(host, port, timeout, cookie);
  return remote_future<node_info>(op);
}

// ---- sessions ----------------------------------------------------------------------------------

net::session& node_core::open_session(net::connection& c, bool initiator, std::uint64_t cookie) {
  auto s = std::make_shared<peer_session>(*this, c, initiator, cookie);
  {
    std::lock_guard lock(mutex_);
    sessions_.push_back(s);
    ++connections_opened_;
  }
  s->start();
  return *s;
}

void node_core::connect_failed(std::uint64_t cookie, std::string_view reason) {
  std::shared_ptr<remote_op<node_info>> op;
  {
    std::lock_guard lock(mutex_);
    const auto it = connects_.find(cookie);
    if (it == connects_.end()) return;
    op = std::move(it->second);
    connects_.erase(it);
  }
  std::string what = "cannot connect: ";
  what += reason;
  op->fail(error(errc::node_down, std::move(what)));
}

void node_core::on_established(const std::shared_ptr<peer_session>& s) {
  const std::uint64_t peer_id = s->peer().identity.node_id;
  std::shared_ptr<peer_session> loser;
  std::shared_ptr<remote_op<node_info>> op;
  node_info info = s->info();
  {
    std::lock_guard lock(mutex_);
    auto& current = peers_[peer_id];
    if (current == nullptr || current->closed()) {
      current = s;
    } else if (current->peer().identity.incarnation != s->peer().identity.incarnation) {
      loser = std::exchange(current, s);  // the peer restarted: its old connection is stale
    } else if (initiator_node(*s, identity_.node_id) <
               initiator_node(*current, identity_.node_id)) {
      loser = std::exchange(current, s);
    } else {
      loser = s;
      info = current->info();
    }
    if (s->initiator()) {
      if (const auto it = connects_.find(s->cookie()); it != connects_.end()) {
        op = std::move(it->second);
        connects_.erase(it);
      }
    }
  }
  if (loser) loser->close_with_goodbye("a second connection between the same nodes");
  if (op) op->complete(info);
}

void node_core::on_session_closed(peer_session& s, std::string_view reason, bool was_established) {
  std::shared_ptr<peer_session> keep_alive;  // released outside the lock
  std::shared_ptr<remote_op<node_info>> op;
  bool shutting_down = false;
  {
    std::lock_guard lock(mutex_);
    shutting_down = shut_down_;
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->get() == &s) {
        keep_alive = std::move(*it);
        sessions_.erase(it);
        break;
      }
    }
    if (was_established) {
      const auto it = peers_.find(s.peer().identity.node_id);
      if (it != peers_.end() && it->second.get() == &s) peers_.erase(it);
      ++nodes_down_;
    }
    if (s.initiator()) {
      if (const auto it = connects_.find(s.cookie()); it != connects_.end()) {
        op = std::move(it->second);
        connects_.erase(it);
      }
    }
  }
  if (was_established && !shutting_down) {  // our own shutdown is no news
    log("jaegis: node " + std::to_string(s.peer().identity.node_id) + " at " + s.info().address +
        " is down: " + std::string(reason));
  }
  if (op) {
    std::string what = "the connection closed before the handshake finished: ";
    what += reason;
    op->fail(error(errc::node_down, std::move(what)));
  }
}

// ---- names -------------------------------------------------------------------------------------

void node_core::publish(std::string_view name, const actor_ref& actor, std::uint64_t actor_type) {
  if (name.empty()) throw std::invalid_argument("jaegis: publish: empty name");
  if (!actor) throw std::invalid_argument("jaegis: publish: empty ref");
  std::lock_guard lock(mutex_);
  published_[std::string(name)] = published_actor{actor, actor_type};
}

bool node_core::unpublish(std::string_view name) {
  actor_ref released;  // dropped outside the lock
  std::lock_guard lock(mutex_);
  const auto it = published_.find(name);
  if (it == published_.end()) return false;
  released = std::move(it->second.actor);
  published_.erase(it);
  return true;
}

actor_ref node_core::find_published(std::string_view name, std::uint64_t actor_type,
                                    std::uint8_t& status) {
  std::lock_guard lock(mutex_);
  const auto it = published_.find(name);
  if (it == published_.end() || it->second.actor.cell()->terminated()) {
    status = 1;
    return {};
  }
  if (actor_type != 0 && it->second.actor_type != actor_type) {
    status = 2;
    return {};
  }
  status = 0;
  return it->second.actor;
}

remote_future<actor_ref> node_core::lookup(const node_info& peer, std::string_view name,
                                           std::uint64_t actor_type) {
  auto op = std::make_shared<remote_op<actor_ref>>();
  std::shared_ptr<peer_session> s;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = peers_.find(peer.node_id); it != peers_.end()) s = it->second;
  }
  if (s == nullptr || s->peer().identity.incarnation != peer.incarnation) {
    std::string what = "not connected to node ";
    what += std::to_string(peer.node_id);
    if (s != nullptr) what += " (it restarted: connect again)";
    op->fail(error(errc::node_down, std::move(what)));
  } else {
    s->lookup(name, actor_type, op);
  }
  return remote_future<actor_ref>(op);
}

// ---- time, state, shutdown ---------------------------------------------------------------------

void node_core::tick() {
  std::vector<std::shared_ptr<peer_session>> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions = sessions_;
  }
  const std::int64_t now = now_ms();
  for (const auto& s : sessions)
    s->tick(now);
}

void node_core::heartbeat_loop() {
  const auto period = std::max(std::chrono::milliseconds(1), config_.heartbeat_interval / 2);
  std::unique_lock lock(heartbeat_mutex_);
  while (!heartbeat_stop_) {
    heartbeat_wake_.wait_for(lock, period, [&] { return heartbeat_stop_; });
    if (heartbeat_stop_) break;
    lock.unlock();
    tick();
    lock.lock();
  }
}

std::vector<node_info> node_core::peers() const {
  std::vector<node_info> out;
  std::lock_guard lock(mutex_);
  for (const auto& [id, s] : peers_) {
    if (s->established() && !s->closed()) out.push_back(s->info());
  }
  return out;
}

void node_core::disconnect(std::uint64_t node_id) {
  std::shared_ptr<peer_session> s;
  {
    std::lock_guard lock(mutex_);
    if (const auto it = peers_.find(node_id); it != peers_.end()) s = it->second;
  }
  if (s) s->close_with_goodbye("disconnected by the application", config_.close_flush_timeout);
}

remote_node_stats node_core::stats() const {
  remote_node_stats out;
  // relaxed: statistics.
  out.frames_received = frames_received.load(std::memory_order_relaxed);
  out.protocol_errors = protocol_errors.load(std::memory_order_relaxed);  // relaxed: as above
  std::lock_guard lock(mutex_);
  out.connections_opened = connections_opened_;
  out.nodes_down = nodes_down_;
  out.peers = peers_.size();
  for (const auto& s : sessions_)
    out.proxies += s->proxy_count();
  return out;
}

void node_core::shutdown() {
  std::vector<std::shared_ptr<peer_session>> sessions;
  std::vector<std::unique_ptr<net::transport>> carriers;
  std::map<std::string, published_actor, std::less<>> published;
  {
    std::lock_guard lock(mutex_);
    if (shut_down_) return;
    shut_down_ = true;
    sessions = sessions_;
  }
  {
    std::lock_guard lock(heartbeat_mutex_);
    heartbeat_stop_ = true;
  }
  heartbeat_wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  for (const auto& s : sessions)
    s->close_with_goodbye("the node is shutting down", config_.close_flush_timeout);
  {
    std::lock_guard lock(mutex_);
    carriers.swap(carriers_);
  }
  for (const auto& c : carriers)
    c->stop();  // flushes, closes, reports every on_closed
  std::lock_guard lock(mutex_);
  published.swap(published_);
  for (auto& [cookie, op] : connects_) {
    op->fail(error(errc::node_down, "the node shut down before the connection was made"));
  }
  connects_.clear();
  // Carriers are destroyed when `carriers` goes out of scope, after every session is closed.
}

}  // namespace jaegis::detail
