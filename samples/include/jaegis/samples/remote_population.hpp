#pragma once

// A population of agents served to another process: what both remote topologies share.
//
// The listening process publishes one population host under the topology's name. The connecting
// process looks the host up and asks it to spawn `count` agents (`populate`); the host publishes
// each as "<name>.<i>", and the connecting process looks them all up (pipelined, one lookup frame
// each) and uses the refs exactly like local ones. At the end it tells the host `run_over` (a
// request, so the listening process has heard it before the connection closes).

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/ref.hpp"
#include "jaegis/samples/gather.hpp"
#include "jaegis/samples/options.hpp"
#include "jaegis/samples/remote_mode.hpp"
#include "jaegis/transports/remote_node.hpp"
#include "jaegis/transports/remote_type.hpp"

namespace jaegis::samples::remote {

struct populate {
  std::uint32_t count = 0;
};
struct populated {
  std::uint32_t count = 0;
};
struct run_over {};

}  // namespace jaegis::samples::remote

JAEGIS_REMOTE_TYPE(jaegis::samples::remote::populate, "jaegis.samples.populate")
JAEGIS_REMOTE_TYPE(jaegis::samples::remote::populated, "jaegis.samples.populated")
JAEGIS_REMOTE_TYPE(jaegis::samples::remote::run_over, "jaegis.samples.run_over")

namespace jaegis::samples::remote {

/// Generous: answers take microseconds on loopback; this only bounds a lost peer.
inline constexpr std::chrono::seconds call_timeout{30};

/// "pingpong.3": the name the agent `index` of population `name` is published under.
inline std::string member_name(std::string_view name, std::uint32_t index) {
  std::string s(name);
  s += '.';
  s += std::to_string(index);
  return s;
}

/// The listening side: spawns and publishes the agents when asked, and reports the end of the run.
template <class A>
struct population_host : actor<population_host<A>, populate, run_over> {
  using factory = ref<A> (*)(actor_system&, std::uint32_t index);

  population_host(remote_node* n, serve_session* s, std::string_view name, std::string_view what,
                  factory f)
      : node(n), session(s), population(name), members_are(what), make(f) {}

  // Once only: a second populate (a confused peer) gets the size of the first.
  populated on(populate& p) {
    if (members.empty() && p.count <= max_agents) {
      members.reserve(p.count);
      for (std::uint32_t i = 0; i < p.count; ++i) {
        members.push_back(make(this->system(), i));
        node->publish(member_name(population, i), members.back());
      }
    }
    return {static_cast<std::uint32_t>(members.size())};
  }

  void on(run_over&) {
    std::string s = population;
    s += ": served ";
    s += std::to_string(members.size());
    s += ' ';
    s += members_are;
    s += "; the connecting side's run is over";
    session->finish(std::move(s));
  }

  remote_node* node;
  serve_session* session;
  std::string population;
  std::string members_are;
  factory make;
  std::vector<ref<A>> members;
};

/// Whether `peer` (this incarnation of it) is still connected to `node`.
inline bool connected(const remote_node& node, const node_info& peer) {
  for (const node_info& p : node.peers()) {
    if (p.node_id == peer.node_id && p.incarnation == peer.incarnation) return true;
  }
  return false;
}

/// Publishes the host of population `name` (agents made by `make`, described as `what`).
template <class A>
void serve_population(actor_system& system, remote_node& node, serve_session& session,
                      std::string_view name, std::string_view what,
                      typename population_host<A>::factory make) {
  node.publish(name, system.spawn<population_host<A>>(&node, &session, name, what, make));
}

/// The connecting side's view of a served population.
template <class A>
struct population {
  ref<population_host<A>> host;
  std::vector<ref<A>> members;
};

/// Has the peer spawn `count` agents of population `name` and looks them all up. Blocks; throws
/// remote_error or std::runtime_error.
template <class A>
population<A> open_population(actor_system& system, remote_node& node, const node_info& peer,
                              std::string_view name, std::uint32_t count) {
  population<A> p;
  p.host = node.lookup<population_host<A>>(peer, name, call_timeout);
  const populated got = ask(system, p.host, populate{count}, call_timeout);
  if (got.count != count) {
    std::string m = "the listening process served ";
    m += std::to_string(got.count);
    m += " agents of '";
    m += name;
    m += "', not the ";
    m += std::to_string(count);
    m += " asked for (is it serving another run?)";
    throw std::runtime_error(m);
  }
  std::vector<remote_future<actor_ref>> lookups;
  lookups.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i)
    lookups.push_back(node.lookup_async<A>(peer, member_name(name, i)));
  p.members.reserve(count);
  for (auto& f : lookups)
    p.members.push_back(remote_node::typed<A>(f.get(call_timeout)));
  return p;
}

/// Tells the listening side that the run is over (and waits until it has heard it).
template <class A>
void close_population(actor_system& system, const population<A>& p) {
  ask(system, p.host, run_over{}, call_timeout);
}

}  // namespace jaegis::samples::remote
