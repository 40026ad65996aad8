#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jaegis::sched {

/// The machine's NUMA layout as the schedulers see it: nodes, and the cpus on each.
///
/// Read from libnuma, or from an override ("NxM" = N nodes of M cpus each) given in code or in the
/// JAEGIS_TOPOLOGY environment variable, so that the NUMA paths can be exercised on a one-node
/// machine. An overridden topology's cpus are virtual: cpu i runs on real cpu i modulo the real
/// cpu count.
class topology {
 public:
  struct node {
    int id = 0;
    std::vector<int> cpus;  ///< virtual cpu numbers, unique across the topology
  };

  /// What libnuma reports; one node with every online cpu where NUMA is unavailable.
  static topology detect();
  /// Parses "NxM" (1 <= N, M <= 1024). Throws std::invalid_argument with a clear message.
  static topology parse(std::string_view spec);
  /// `spec` if not empty, else JAEGIS_TOPOLOGY if set, else detect().
  static topology resolve(std::string_view spec = {});

  const std::vector<node>& nodes() const noexcept { return nodes_; }
  std::size_t node_count() const noexcept { return nodes_.size(); }
  std::size_t cpu_count() const noexcept;
  bool is_override() const noexcept { return override_; }
  /// The node of a virtual cpu; -1 if it is not in the topology.
  int node_of_cpu(int cpu) const noexcept;
  /// Every cpu, node by node, in the order workers are placed on them.
  std::vector<int> cpus_in_placement_order() const;
  /// The real cpu a virtual one runs on.
  int real_cpu(int cpu) const noexcept;
  /// Whether every virtual cpu maps to a distinct real cpu (so pinning cannot stack threads).
  bool fits_real_cpus() const noexcept;
  /// "2 nodes: 0:[0,1] 1:[2,3]", for logs and reports.
  std::string describe() const;

 private:
  std::vector<node> nodes_;
  std::vector<int> real_cpus_;  ///< online real cpus; virtual cpu i runs on real_cpus_[i % size]
  bool override_ = false;
};

/// The cpus this process may run on (sched_getaffinity: respects taskset and cgroup cpusets);
/// every online cpu if that fails.
std::vector<int> allowed_cpus();
/// Pins the calling thread to a real cpu. Returns whether it worked.
bool pin_this_thread(int real_cpu) noexcept;

/// The NUMA node of the calling thread as the schedulers placed it: a worker's node, or 0 on a
/// thread no executor owns. Memory pools use it to pick their arena.
int this_thread_node() noexcept;
void set_this_thread_node(int node) noexcept;

}  // namespace jaegis::sched
