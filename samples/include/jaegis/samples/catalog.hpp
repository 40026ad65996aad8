#pragma once

#include <span>
#include <string_view>

#include "jaegis/samples/topology.hpp"

namespace jaegis::samples {

/// Every topology the runner knows, in the order --help lists them (samples/topologies/list.hpp).
std::span<const topology* const> catalog();

/// The topology called `name`, or nullptr.
const topology* find_topology(std::string_view name);

}  // namespace jaegis::samples
