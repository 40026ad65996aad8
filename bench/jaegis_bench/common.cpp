// Helpers both sides share (declared in workloads.hpp).

#include <unistd.h>

#include <fstream>
#include <string>

#include "stats.hpp"
#include "workloads.hpp"

namespace jaegis::bench::vs {

figures latency_figures(std::vector<std::uint64_t>& ticks, const char* who, const char* prefix,
                        const char* unit, double ns_per_unit, bool with_p999) {
  const latency_summary l = summarize_latency(ticks);
  const double scale = sample_clock::ns_per_tick() / ns_per_unit;
  const double max_ms = l.max * sample_clock::ns_per_tick() / 1e6;
  constexpr double stall_ms = 50;  // 10^4 times a typical round trip here, over any time slice
  if (max_ms > stall_ms) {
    std::fprintf(stderr, "jaegis-bench: %s: one %s sample took %.1f ms\n", who, prefix, max_ms);
  }
  const std::string p = prefix;
  figures f{{p + "_p50", unit, l.p50 * scale}, {p + "_p99", unit, l.p99 * scale}};
  if (with_p999) f.push_back({p + "_p99.9", unit, l.p999 * scale});
  return f;
}

std::uint64_t resident_bytes() {
  // statm: size resident shared text lib data dt, in pages.
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  require(static_cast<bool>(statm >> size >> resident), "cannot read /proc/self/statm");
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace jaegis::bench::vs
