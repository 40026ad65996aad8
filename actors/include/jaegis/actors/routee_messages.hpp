#pragma once

#include <vector>

#include "jaegis/framework/ref.hpp"

namespace jaegis::actors {

/// Control messages every router accepts (router.hpp, smallest_mailbox_router.hpp).

/// Adds a routee (ignored if it is one already). The router monitors it and drops it when it stops.
struct add_routee {
  actor_ref routee;
};
/// Removes a routee (ignored if it is not one).
struct remove_routee {
  actor_ref routee;
};
/// A request: answered with the current routees (std::vector<actor_ref>), in the order added.
struct get_routees {};

}  // namespace jaegis::actors
