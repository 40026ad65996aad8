#pragma once

#include "jaegis/framework/error.hpp"
#include "jaegis/framework/ref.hpp"

namespace jaegis {

/// Asks the actor `to` to stop, from any thread (a supervisor stopping its children, a test
/// tearing down an agent). With reason `errc::killed` the actor stops even if it traps exits;
/// any other reason arrives as an exit_msg, exactly as from a linked partner: an actor that traps
/// exits receives it as a message, any other stops with that reason (a normal reason is then
/// ignored). The sender is the actor running on this thread, if any. A stopped target ignores it.
/// Throws std::invalid_argument through an empty ref.
void send_exit(const actor_ref& to, exit_reason reason);

}  // namespace jaegis
