#include "jaegis/schedulers/victim_order.hpp"

namespace jaegis::sched {

victim_order::victim_order(const std::vector<int>& worker_nodes, std::size_t self) {
  for (std::size_t i = 0; i < worker_nodes.size(); ++i) {
    if (i == self) continue;
    (worker_nodes[i] == worker_nodes[self] ? near_ : far_).push_back(i);
  }
}

}  // namespace jaegis::sched
