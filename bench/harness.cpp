#include "harness.hpp"

#include <pthread.h>
#include <sched.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "stats.hpp"

namespace jaegis::bench {

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "unknown";
  return one + " " + five + " " + fifteen;
}

void results::add(std::string_view workload, std::string_view impl, std::string_view metric,
                  std::string_view unit, double value) {
  for (row& r : rows_) {
    if (r.workload == workload && r.impl == impl && r.metric == metric) {
      r.values.push_back(value);
      return;
    }
  }
  rows_.push_back(
      {std::string(workload), std::string(impl), std::string(metric), std::string(unit), {value}});
}

namespace {

/// Rates in engineering steps (12.3 M), everything else with one decimal: three significant
/// digits are about what round-to-round noise leaves of a figure on a shared machine.
std::string format_value(double v, std::string_view unit) {
  char buf[64];
  const bool rate = unit.size() >= 2 && unit.substr(unit.size() - 2) == "/s";
  if (rate) {
    const char* suffix = "";
    double scaled = v;
    if (v >= 1e9) {
      scaled = v / 1e9;
      suffix = " G";
    } else if (v >= 1e6) {
      scaled = v / 1e6;
      suffix = " M";
    } else if (v >= 1e3) {
      scaled = v / 1e3;
      suffix = " k";
    }
    std::snprintf(buf, sizeof buf, "%.3g%s", scaled, suffix);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  }
  return buf;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
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
  return out;
}

}  // namespace

void results::print_table(std::ostream& out, std::string_view workload) const {
  char line[256];
  std::snprintf(line, sizeof line, "  %-14s %-18s %10s %10s %10s  %-12s %8s\n", "impl", "metric",
                "median", "min", "max", "unit", "x floor");
  out << line;
  for (const row& r : rows_) {
    if (r.workload != workload) continue;
    const spread s = summarize(r.values);
    std::string ratio;
    if (r.impl != "floor") {
      for (const row& f : rows_) {
        if (f.workload == workload && f.impl == "floor" && f.metric == r.metric) {
          const spread fs = summarize(f.values);
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.2f", fs.median > 0 ? s.median / fs.median : 0.0);
          ratio = buf;
        }
      }
    }
    std::snprintf(line, sizeof line, "  %-14s %-18s %10s %10s %10s  %-12s %8s\n", r.impl.c_str(),
                  r.metric.c_str(), format_value(s.median, r.unit).c_str(),
                  format_value(s.min, r.unit).c_str(), format_value(s.max, r.unit).c_str(),
                  r.unit.c_str(), ratio.c_str());
    out << line;
  }
}

void results::write_json(std::ostream& out) const {
  out << "[\n";
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const row& r = rows_[i];
    char value[64];
    // %.17g: the double round-trips exactly; a rate of 1.2e7 stays an integer-looking number.
    std::snprintf(value, sizeof value, "%.17g", summarize(r.values).median);
    out << "  {\"workload\": \"" << json_escape(r.workload) << "\", \"impl\": \""
        << json_escape(r.impl) << "\", \"metric\": \"" << json_escape(r.metric)
        << "\", \"value\": " << value << ", \"unit\": \"" << json_escape(r.unit) << "\"}"
        << (i + 1 < rows_.size() ? ",\n" : "\n");
  }
  out << "]\n";
}

namespace {

void usage(std::ostream& out, std::string_view program, std::span<const workload> workloads) {
  out << "usage: " << program << " [options] [workload...]\n"
      << "  --rounds N    rounds per workload (default 5); each figure shows median, min, max\n"
      << "  --quick       reduced sizes: a smoke run of a few seconds\n"
      << "  --workers N   executor workers (default: every cpu this process may use)\n"
      << "  --no-pin      do not pin the benchmark's own threads (floor, deque, cross pingpong)\n"
      << "  --json FILE   also write the figures (medians) as a JSON array\n"
      << "  --list        list the workloads and exit\n"
      << "workloads (default: all, in this order):\n";
  for (const workload& w : workloads) {
    out << "  " << w.name << ": " << w.summary << '\n';
  }
}

bool parse_count(std::string_view text, unsigned long long& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() && value > 0;
}

}  // namespace

int run_main(int argc, char** argv, std::string_view program, std::span<const workload> workloads) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto next_count = [&](unsigned long long& value) {
      if (i + 1 >= argc || !parse_count(argv[i + 1], value)) {
        std::cerr << program << ": " << arg << " needs a positive number\n";
        return false;
      }
      ++i;
      return true;
    };
    unsigned long long value = 0;
    if (arg == "--rounds") {
      if (!next_count(value)) return 2;
      opt.rounds = static_cast<unsigned>(value);
    } else if (arg == "--workers") {
      if (!next_count(value)) return 2;
      opt.workers = static_cast<std::size_t>(value);
    } else if (arg == "--quick") {
      opt.quick = true;
    } else if (arg == "--no-pin") {
      opt.pin = false;
    } else if (arg == "--json") {
      if (i + 1 >= argc) {
        std::cerr << program << ": --json needs a file name\n";
        return 2;
      }
      opt.json_path = argv[++i];
    } else if (arg == "--list") {
      for (const workload& w : workloads) {
        std::cout << w.name << '\n';
      }
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      usage(std::cout, program, workloads);
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << program << ": unknown option " << arg << '\n';
      usage(std::cerr, program, workloads);
      return 2;
    } else {
      bool known = false;
      for (const workload& w : workloads) {
        known = known || w.name == arg;
      }
      if (!known) {
        std::cerr << program << ": unknown workload " << arg << '\n';
        usage(std::cerr, program, workloads);
        return 2;
      }
      opt.only.emplace_back(arg);
    }
  }
  const std::size_t cpus = allowed_cpus().size();
  if (opt.workers == 0) opt.workers = cpus;

  std::cout << program << ": " << cpus << " cpus, " << opt.workers << " workers, " << opt.rounds
            << " rounds" << (opt.quick ? ", quick sizes" : "")
            << (opt.pin ? "" : ", benchmark threads unpinned") << "; load average "
            << load_average() << '\n';

  results res;
  for (const workload& w : workloads) {
    bool selected = opt.only.empty();
    for (const std::string& name : opt.only) {
      selected = selected || name == w.name;
    }
    if (!selected) continue;
    std::cout << "\n== " << w.name << ": " << w.summary << '\n' << std::flush;
    context ctx(opt, res, w.name);
    w.run(ctx);
    res.print_table(std::cout, w.name);
    for (const std::string& line : ctx.notes()) {
      std::cout << "  # " << line << '\n';
    }
    std::cout << std::flush;
  }
  std::cout << "\nload average at the end: " << load_average() << '\n';

  if (!opt.json_path.empty()) {
    std::ofstream json(opt.json_path);
    res.write_json(json);
    if (!json) {
      std::cerr << program << ": cannot write " << opt.json_path << '\n';
      return 1;
    }
  }
  return 0;
}

}  // namespace jaegis::bench
