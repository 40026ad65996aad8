#include <cstdlib>
#include <jaegis/transports/remote_node.hpp>
#include <stdexcept>
#include <string>

#include "node_core.hpp"

namespace jaegis {

remote_node_config remote_node_config::from_env(remote_node_config defaults) {
  defaults.secret = transports::shared_secret::from_environment();
  if (const char* id = std::getenv("JAEGIS_NODE_ID"); id != nullptr && *id != '\0') {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(id, &end, 10);
    if (*end != '\0' || value == 0) {
      throw std::invalid_argument(std::string("jaegis: JAEGIS_NODE_ID must be a positive integer, "
                                              "not '") +
                                  id + "'");
    }
    defaults.node_id = value;
  }
  return defaults;
}

remote_node_config remote_node_config::from_env() {
  return from_env(remote_node_config{});
}

remote_node::remote_node(actor_system& system)
    : remote_node(system, remote_node_config::from_env()) {}

remote_node::remote_node(actor_system& system, remote_node_config config)
    : core_(std::make_unique<detail::node_core>(system, std::move(config))) {}

remote_node::~remote_node() {
  core_->shutdown();
}

const transports::node_identity& remote_node::identity() const noexcept {
  return core_->identity();
}

void remote_node::add_transport(std::unique_ptr<net::transport> carrier) {
  core_->add_transport(std::move(carrier));
}

std::uint16_t remote_node::listen(std::string_view host, std::uint16_t port) {
  return core_->listen("tcp", host, port);
}

std::uint16_t remote_node::listen(std::string_view scheme, std::string_view host,
                                  std::uint16_t port) {
  return core_->listen(scheme, host, port);
}

node_info remote_node::connect(std::string_view host, std::uint16_t port,
                               std::chrono::milliseconds timeout) {
  return connect_async("tcp", host, port, timeout).get(timeout + std::chrono::seconds(1));
}

remote_future<node_info> remote_node::connect_async(std::string_view scheme, std::string_view host,
                                                    std::uint16_t port,
                                                    std::chrono::milliseconds timeout) {
  return core_->connect(scheme, host, port, timeout);
}

bool remote_node::unpublish(std::string_view name) {
  return core_->unpublish(name);
}

void remote_node::publish_untyped(std::string_view name, const actor_ref& actor,
                                  std::uint64_t actor_type) {
  core_->publish(name, actor, actor_type);
}

remote_future<actor_ref> remote_node::lookup_untyped(const node_info& peer, std::string_view name,
                                                     std::uint64_t actor_type) {
  return core_->lookup(peer, name, actor_type);
}

void remote_node::tick() {
  core_->tick();
}

std::vector<node_info> remote_node::peers() const {
  return core_->peers();
}

void remote_node::disconnect(std::uint64_t node_id) {
  core_->disconnect(node_id);
}

remote_node_stats remote_node::stats() const {
  return core_->stats();
}

void remote_node::shutdown() {
  core_->shutdown();
}

}  // namespace jaegis
