#include "jaegis/schedulers/topology.hpp"

#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "injection_queue.hpp"

// ThreadSanitizer reads these suppressions at start-up. They live in this object because every
// executor resolves its topology, so every program with an executor links it. moodycamel's
// ConcurrentQueue orders its slots with standalone fences, which TSan does not model; its author
// documents the false reports. The happens-before edge our code relies on (enqueue before dequeue
// of the same runnable) is annotated in injection_queue.hpp, so races in runnables' data are still
// reported.
#ifdef JAEGIS_TSAN
extern "C" const char* __tsan_default_suppressions() {
  return "race:moodycamel::\n";
}
#endif

namespace jaegis::sched {
namespace {

int parse_count(std::string_view text, std::string_view spec, const char* what) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 1 || value > 1024) {
    throw std::invalid_argument("jaegis: bad topology '" + std::string(spec) + "': " + what +
                                " must be a number from 1 to 1024 (expected NxM, e.g. 2x4 = 2 "
                                "nodes of 4 cpus)");
  }
  return value;
}

thread_local int tl_node = 0;

}  // namespace

topology topology::detect() {
  topology result;
  result.real_cpus_ = allowed_cpus();
  if (numa_available() >= 0 && numa_max_node() > 0) {
    for (int id = 0; id <= numa_max_node(); ++id) {
      node n{id, {}};
      for (int cpu : result.real_cpus_) {
        if (numa_node_of_cpu(cpu) == id) n.cpus.push_back(cpu);
      }
      if (!n.cpus.empty()) result.nodes_.push_back(std::move(n));
    }
  }
  if (result.nodes_.empty()) result.nodes_.push_back(node{0, result.real_cpus_});
  // Virtual cpu numbers are the real ones here; real_cpu() maps through the index, so make the
  // index the identity by listing every cpu up to the highest.
  const int highest = result.real_cpus_.back();
  result.real_cpus_.clear();
  for (int cpu = 0; cpu <= highest; ++cpu)
    result.real_cpus_.push_back(cpu);
  return result;
}

topology topology::parse(std::string_view spec) {
  const auto x = spec.find_first_of("xX");
  if (x == std::string_view::npos) {
    throw std::invalid_argument("jaegis: bad topology '" + std::string(spec) +
                                "': expected NxM, e.g. 2x4 = 2 nodes of 4 cpus");
  }
  const int node_count = parse_count(spec.substr(0, x), spec, "the node count");
  const int cpus_per_node = parse_count(spec.substr(x + 1), spec, "the cpus per node");
  topology result;
  result.override_ = true;
  result.real_cpus_ = allowed_cpus();
  int next_cpu = 0;
  for (int id = 0; id < node_count; ++id) {
    node n{id, {}};
    for (int c = 0; c < cpus_per_node; ++c)
      n.cpus.push_back(next_cpu++);
    result.nodes_.push_back(std::move(n));
  }
  return result;
}

topology topology::resolve(std::string_view spec) {
  if (!spec.empty()) return parse(spec);
  if (const char* env = std::getenv("JAEGIS_TOPOLOGY"); env != nullptr && *env != '\0') {
    return parse(env);
  }
  return detect();
}

std::size_t topology::cpu_count() const noexcept {
  std::size_t count = 0;
  for (const auto& n : nodes_)
    count += n.cpus.size();
  return count;
}

int topology::node_of_cpu(int cpu) const noexcept {
  for (const auto& n : nodes_) {
    for (int c : n.cpus) {
      if (c == cpu) return n.id;
    }
  }
  return -1;
}

std::vector<int> topology::cpus_in_placement_order() const {
  std::vector<int> order;
  for (const auto& n : nodes_)
    order.insert(order.end(), n.cpus.begin(), n.cpus.end());
  return order;
}

int topology::real_cpu(int cpu) const noexcept {
  if (real_cpus_.empty() || cpu < 0) return -1;
  return real_cpus_[static_cast<std::size_t>(cpu) % real_cpus_.size()];
}

bool topology::fits_real_cpus() const noexcept {
  if (!override_) return true;
  return cpu_count() <= real_cpus_.size();
}

std::string topology::describe() const {
  // A stream, not string concatenation: GCC 12 at -O3 warns falsely (-Wrestrict) on the latter.
  std::ostringstream text;
  text << nodes_.size() << (nodes_.size() == 1 ? " node:" : " nodes:");
  for (const auto& n : nodes_) {
    text << ' ' << n.id << ":[";
    for (std::size_t i = 0; i < n.cpus.size(); ++i)
      text << (i ? "," : "") << n.cpus[i];
    text << ']';
  }
  if (override_) text << " (override)";
  return text.str();
}

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  // The cpus this process may run on: respects taskset and cgroup cpusets, unlike a bare count.
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int cpu = 0; cpu < (n > 0 ? n : 1); ++cpu)
      cpus.push_back(cpu);
  }
  return cpus;
}

bool pin_this_thread(int real_cpu) noexcept {
  if (real_cpu < 0 || real_cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(real_cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

int this_thread_node() noexcept {
  return tl_node;
}
void set_this_thread_node(int node) noexcept {
  tl_node = node;
}

}  // namespace jaegis::sched
