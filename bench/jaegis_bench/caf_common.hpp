#pragma once

// What the two CAF translation units share. Only caf_*.cpp include this header: caf/all.hpp
// costs about 30 s of compilation per translation unit here.
//
// The CAF side is written as CAF 0.17 code is usually written: class-based event_based_actors,
// messages made of atoms and integers, handles (caf::actor) kept by the actors that talk to each
// other. Every actor quits at the end of its workload, because caf::actor_system waits for every
// actor when it is destroyed.

#include <caf/all.hpp>
#include <cstddef>
#include <cstdint>

#include "round_state.hpp"
#include "workloads.hpp"

namespace jaegis::bench::vs::caf_side {

/// An actor system with `workers` scheduler threads and CAF's defaults otherwise (work-stealing
/// scheduler, unlimited throughput per resume). The config must outlive the system, hence one
/// object for both.
struct caf_system {
  explicit caf_system(std::size_t workers) : sys(configure(cfg, workers)) {}
  static caf::actor_system_config& configure(caf::actor_system_config& c, std::size_t workers) {
    c.set("scheduler.max-threads", static_cast<std::int64_t>(workers));
    return c;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

/// A handle to the calling actor, for sending to itself.
inline caf::actor handle_of(caf::event_based_actor* self) {
  return caf::actor_cast<caf::actor>(self);
}

using go_atom = caf::atom_constant<caf::atom("go")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using peer_atom = caf::atom_constant<caf::atom("peer")>;

}  // namespace jaegis::bench::vs::caf_side
