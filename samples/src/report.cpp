#include "jaegis/samples/report.hpp"

#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace jaegis::samples {

namespace {

double seconds_of(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

// The percentiles every report shows, with their names in text and JSON.
struct quantile {
  const char* text;
  const char* json;
  double q;
};
constexpr quantile quantiles[] = {
    {"p50", "p50", 0.50}, {"p99", "p99", 0.99}, {"p99.9", "p999", 0.999}};

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// A finite number as JSON (JSON has no inf or nan).
std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

}  // namespace

std::vector<sched::worker_counters> counters_delta(
    const std::vector<sched::worker_counters>& before,
    const std::vector<sched::worker_counters>& after) {
  std::vector<sched::worker_counters> delta = after;
  for (std::size_t i = 0; i < delta.size() && i < before.size(); ++i) {
    delta[i].runs -= before[i].runs;
    delta[i].lifo_runs -= before[i].lifo_runs;
    delta[i].steals -= before[i].steals;
    delta[i].steal_attempts -= before[i].steal_attempts;
    delta[i].global_pulls -= before[i].global_pulls;
    delta[i].parks -= before[i].parks;
    delta[i].wakeups -= before[i].wakeups;
    delta[i].spins -= before[i].spins;
  }
  return delta;
}

std::string format_duration(double ns) {
  char buf[32];
  if (ns < 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buf, sizeof buf, "%.3g us", ns / 1e3);
  } else if (ns < 1e9) {
    std::snprintf(buf, sizeof buf, "%.3g ms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g s", ns / 1e9);
  }
  return buf;
}

std::string format_count(double v) {
  char buf[32];
  if (v < 1e3) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else if (v < 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gk", v / 1e3);
  } else if (v < 1e9) {
    std::snprintf(buf, sizeof buf, "%.3gM", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.3gG", v / 1e9);
  }
  return buf;
}

void print_report(std::FILE* out, const run_report& r) {
  const outcome& o = r.result;
  const double secs = seconds_of(o.elapsed);
  const double rate = secs > 0 ? static_cast<double>(o.completed) / secs : 0;
  const std::string unit(r.topo->unit);

  std::fprintf(out, "%-11s %" PRIu64 " %s in %s: %s %s/s", "completed", o.completed, unit.c_str(),
               format_duration(static_cast<double>(o.elapsed.count())).c_str(),
               format_count(rate).c_str(), unit.c_str());
  if (o.messages > 0 && secs > 0) {
    std::fprintf(out, ", %s messages/s",
                 format_count(static_cast<double>(o.messages) / secs).c_str());
  }
  std::fprintf(out, "%s\n", o.stopped_early ? " (stopped by --seconds)" : "");

  if (o.latency.count() > 0) {
    std::fprintf(out, "%-11s", "latency");
    for (const quantile& q : quantiles) {
      std::fprintf(out, " %s %s ", q.text,
                   format_duration(static_cast<double>(o.latency.percentile(q.q))).c_str());
    }
    std::fprintf(out, " max %s  (%s; %" PRIu64 " samples)\n",
                 format_duration(static_cast<double>(o.latency.max())).c_str(),
                 std::string(r.topo->latency_of).c_str(), o.latency.count());
  }
  for (const named_figure& f : o.figures) {
    // Counts as whole numbers, ratios and times to four digits.
    const bool whole = f.value == std::floor(f.value) && std::fabs(f.value) < 1e15;
    std::fprintf(out, whole ? "%-11s %s: %.0f\n" : "%-11s %s: %.4g\n", "", f.name.c_str(), f.value);
  }

  std::fprintf(out, "%-11s %6s %12s %10s %10s\n", "workers", "worker", "runs", "steals", "parks");
  sched::worker_counters sum;
  for (std::size_t i = 0; i < r.workers_delta.size(); ++i) {
    const sched::worker_counters& c = r.workers_delta[i];
    std::fprintf(out, "%-11s %6zu %12" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "", i, c.runs,
                 c.steals, c.parks);
    sum.runs += c.runs;
    sum.steals += c.steals;
    sum.parks += c.parks;
  }
  if (r.workers_delta.size() > 1) {
    std::fprintf(out, "%-11s %6s %12" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "", "all", sum.runs,
                 sum.steals, sum.parks);
  }
  std::fprintf(out, "%-11s %s: %s\n", "invariant", o.invariant_held ? "held" : "VIOLATED",
               o.invariant.c_str());
}

std::string report_json(const run_report& r) {
  const outcome& o = r.result;
  const double secs = seconds_of(o.elapsed);
  std::ostringstream s;
  s << "{\n";
  s << "  \"topology\": " << json_string(r.topo->name) << ",\n";
  s << "  \"params\": {\"agents\": " << r.params.agents << ", \"messages\": " << r.params.messages
    << ", \"seconds\": "
    << (r.params.time_limit.count() > 0 ? json_number(seconds_of(r.params.time_limit)) : "null")
    << "},\n";
  s << "  \"workers\": " << r.workers << ",\n";
  s << "  \"executor\": " << json_string(r.executor) << ",\n";
  s << "  \"unit\": " << json_string(r.topo->unit) << ",\n";
  s << "  \"completed\": " << o.completed << ",\n";
  s << "  \"messages\": " << o.messages << ",\n";
  s << "  \"elapsed_s\": " << json_number(secs) << ",\n";
  s << "  \"throughput_per_s\": "
    << json_number(secs > 0 ? static_cast<double>(o.completed) / secs : 0) << ",\n";
  s << "  \"messages_per_s\": "
    << json_number(secs > 0 ? static_cast<double>(o.messages) / secs : 0) << ",\n";
  s << "  \"stopped_early\": " << (o.stopped_early ? "true" : "false") << ",\n";
  s << "  \"latency_ns\": {\"of\": " << json_string(r.topo->latency_of)
    << ", \"count\": " << o.latency.count();
  for (const quantile& q : quantiles)
    s << ", \"" << q.json << "\": " << o.latency.percentile(q.q);
  s << ", \"max\": " << o.latency.max() << "},\n";
  s << "  \"figures\": {";
  for (std::size_t i = 0; i < o.figures.size(); ++i) {
    s << (i == 0 ? "" : ", ") << json_string(o.figures[i].name) << ": "
      << json_number(o.figures[i].value);
  }
  s << "},\n";
  s << "  \"worker_counters\": [";
  for (std::size_t i = 0; i < r.workers_delta.size(); ++i) {
    const sched::worker_counters& c = r.workers_delta[i];
    s << (i == 0 ? "\n" : ",\n") << "    {\"worker\": " << i << ", \"runs\": " << c.runs
      << ", \"steals\": " << c.steals << ", \"parks\": " << c.parks << "}";
  }
  s << "\n  ],\n";
  s << "  \"invariant\": {\"held\": " << (o.invariant_held ? "true" : "false")
    << ", \"detail\": " << json_string(o.invariant) << "}\n";
  s << "}\n";
  return s.str();
}

}  // namespace jaegis::samples
