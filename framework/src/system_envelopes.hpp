#pragma once

#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/error.hpp"

namespace jaegis::detail {

// Internal system messages: bookkeeping an actor does on its own thread, so that its watcher and
// link lists need no lock.
struct add_watcher {
  actor_id watcher;
};
struct remove_watcher {
  actor_id watcher;
};
struct add_link {
  actor_id other;
};
struct remove_link {
  actor_id other;
};
/// Stops the receiver even if it traps exits (shutdown).
struct kill_msg {
  exit_reason reason;
};

/// Sends a system message to the actor `id` names, if it still exists. Returns whether it did.
template <class M>
bool send_system(class actor_table& table, actor_id to, actor_id from, M&& msg);

}  // namespace jaegis::detail
