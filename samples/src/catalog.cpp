#include "jaegis/samples/catalog.hpp"

#include <array>

namespace jaegis::samples {

#define JAEGIS_TOPOLOGY(x) extern const topology x##_topology;
#include "../topologies/list.hpp"
#undef JAEGIS_TOPOLOGY

namespace {
#define JAEGIS_TOPOLOGY(x) &x##_topology,
constexpr std::array all_topologies{
#include "../topologies/list.hpp"
};
#undef JAEGIS_TOPOLOGY
}  // namespace

std::span<const topology* const> catalog() {
  return all_topologies;
}

const topology* find_topology(std::string_view name) {
  for (const topology* t : all_topologies) {
    if (t->name == name) return t;
  }
  return nullptr;
}

}  // namespace jaegis::samples
