#pragma once

#include "jaegis/framework/envelope.hpp"
#include "jaegis/framework/error.hpp"

namespace jaegis {

/// Delivered to each monitor of an actor when it stops. An actor that monitors others must list
/// down_msg among the messages it accepts.
struct down_msg {
  actor_id source = 0;
  exit_reason reason;
};

/// Delivered to a linked actor when its partner stops with a failure. By default it stops the
/// receiver with the same reason; an actor that traps exits (and accepts exit_msg) gets it as a
/// message instead.
struct exit_msg {
  actor_id source = 0;
  exit_reason reason;
};

}  // namespace jaegis
