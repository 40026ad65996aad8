// jaegis-bench: JAEGIS beside CAF 0.17, workload by workload, in one program.
//
// Every workload runs its rounds as J C J C ... (with the hardware floor first in each round
// where one is defined: F J C F J C ...), so that a disturbance of the machine hits both sides
// instead of one. Each round also reports "ratio vs_caf": that round's JAEGIS figure over the
// CAF figure of the same round (or CAF over JAEGIS for a cost such as latency or bytes), so > 1
// always means JAEGIS is better, and the ratio's min and max show how stable the comparison is.
// Command line, table and JSON are the shared harness's (bench/harness.hpp).

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "floor.hpp"
#include "harness.hpp"
#include "peer_process.hpp"
#include "remote.hpp"
#include "stats.hpp"
#include "workloads.hpp"

extern char** environ;

namespace jaegis::bench::vs {
namespace {

using side_fn = figures (*)(const run_params&);

/// The figure a workload's ratio compares, and which way is better.
struct headline {
  const char* metric;
  bool higher_is_better;
};

const figure* find(const figures& f, std::string_view metric) {
  for (const figure& x : f) {
    if (x.metric == metric) return &x;
  }
  return nullptr;
}

constexpr std::string_view note_prefix = "note:";

bool is_note(const figure& x) {
  return std::string_view(x.metric).starts_with(note_prefix);
}

void report_all(context& ctx, const char* impl, const figures& f) {
  for (const figure& x : f) {
    if (!is_note(x)) ctx.report(impl, x.metric, x.unit, x.value);
  }
}

/// Collects the "note:" figures of every round, to print them as one line each.
class round_notes {
 public:
  void add(const figures& f) {
    for (const figure& x : f) {
      if (!is_note(x)) continue;
      std::string text = x.metric.substr(note_prefix.size()) + " (" + x.unit + "), per round:";
      auto it = lines_.begin();
      while (it != lines_.end() && it->first != text)
        ++it;
      if (it == lines_.end()) it = lines_.insert(lines_.end(), {text, {}});
      char value[32];
      std::snprintf(value, sizeof value, " %.0f", x.value);
      it->second += value;
    }
  }
  void print(context& ctx) const {
    for (const auto& [text, values] : lines_)
      ctx.note(text + values);
  }

 private:
  std::vector<std::pair<std::string, std::string>> lines_;
};

/// Reports ratio `name` (vs_caf: j is JAEGIS, c is CAF) and returns it.
double report_ratio(context& ctx, const headline& h, const figures& j, const figures& c,
                    const char* name = "vs_caf") {
  const figure* fj = find(j, h.metric);
  const figure* fc = find(c, h.metric);
  require(fj != nullptr && fc != nullptr && fj->value > 0 && fc->value > 0,
          std::string("no positive ") + h.metric + " figure on both sides");
  const double ratio = h.higher_is_better ? fj->value / fc->value : fc->value / fj->value;
  ctx.report("ratio", name, "x", ratio);
  return ratio;
}

std::string ratio_note(const headline& h) {
  return std::string("ratio vs_caf = ") + (h.higher_is_better ? "jaegis / caf" : "caf / jaegis") +
         " " + h.metric + ", per round (> 1: JAEGIS better)";
}

run_params params_of(const context& ctx) {
  return {ctx.workers(), ctx.quick() ? quick_sizes() : full_sizes()};
}

/// The two cpus the floor and the two-worker ping-pong use, or -1 each under --no-pin or on a
/// single cpu.
std::pair<int, int> pair_cpus(const context& ctx) {
  const std::vector<int> cpus = allowed_cpus();
  if (!ctx.opt().pin || cpus.size() < 2) return {-1, -1};
  return {cpus[0], cpus[1]};
}

/// The atomic ping-pong floor of a cross-thread round trip, as rtt_p50 / p99 / p99.9 in ns, on
/// the first two cpus this process may use (pinned unless --no-pin).
/// Returns the floor's rtt_p50 (ns).
double report_floor(context& ctx, std::uint64_t round_trips) {
  floor_setup setup;
  setup.round_trips = round_trips;
  setup.own_cores = allowed_cpus().size() >= 2;
  std::tie(setup.initiator_cpu, setup.responder_cpu) = pair_cpus(ctx);
  std::vector<std::uint64_t> samples;
  measure_floor(setup, &samples);
  const figures f = latency_figures(samples, "floor", "rtt", "ns", 1.0, true);
  report_all(ctx, "floor", f);
  return find(f, "rtt_p50")->value;
}

/// JAEGIS_BENCH_SIDE=jaegis|caf runs one side only, without floors and ratios: a profiling aid
/// (a profile of one framework without the other's threads in it), never a comparison.
std::string_view only_side() {
  const char* side = std::getenv("JAEGIS_BENCH_SIDE");
  return side == nullptr ? std::string_view{} : std::string_view(side);
}

/// F J C F J C ...: the floor (if `floor_round_trips` > 0), then each side, every round; then,
/// if given, a figure only JAEGIS has (reported as impl jaegis, metric names its own).
void compare(context& ctx, const run_params& p, side_fn jaegis, side_fn caf, const headline& h,
             std::uint64_t floor_round_trips, side_fn jaegis_extra = nullptr) {
  round_notes notes;
  if (!only_side().empty()) {
    const bool j = only_side() == "jaegis";
    require(j || only_side() == "caf", "JAEGIS_BENCH_SIDE must be jaegis or caf");
    for (unsigned round = 0; round < ctx.rounds(); ++round) {
      const figures f = (j ? jaegis : caf)(p);
      report_all(ctx, j ? "jaegis" : "caf", f);
      notes.add(f);
    }
    notes.print(ctx);
    ctx.note("JAEGIS_BENCH_SIDE: one side only, no floor, no ratio (a profiling run)");
    return;
  }
  std::vector<double> floor_p50, extra_p50;
  std::string extra_metric;
  for (unsigned round = 0; round < ctx.rounds(); ++round) {
    if (floor_round_trips > 0) floor_p50.push_back(report_floor(ctx, floor_round_trips));
    const figures j = jaegis(p);
    report_all(ctx, "jaegis", j);
    notes.add(j);
    const figures c = caf(p);
    report_all(ctx, "caf", c);
    notes.add(c);
    report_ratio(ctx, h, j, c);
    if (jaegis_extra != nullptr) {
      const figures x = jaegis_extra(p);
      report_all(ctx, "jaegis", x);
      if (!x.empty()) {
        extra_metric = x.front().metric;
        extra_p50.push_back(x.front().value);
      }
    }
  }
  ctx.note(ratio_note(h));
  notes.print(ctx);
  if (!floor_p50.empty() && !extra_p50.empty()) {
    char line[160];
    std::snprintf(line, sizeof line, "%s / floor rtt_p50 = %.2f (medians over rounds)",
                  extra_metric.c_str(), summarize(extra_p50).median / summarize(floor_p50).median);
    ctx.note(line);
  }
}

/// The floor's size: the same number of measured round trips as the ping-pong it bounds.
std::uint64_t floor_size(const context& ctx) {
  return params_of(ctx).n.pingpong_round_trips;
}

// ---------------------------------------------------------------------------------------------
// memory: each side in a child process of its own, so that neither framework's heap (pools,
// thread caches, freed-but-kept pages) is counted for the other.

constexpr std::string_view child_flag = "--memory-child";

/// Runs `jaegis-bench --memory-child IMPL ACTORS WORKERS` and returns the bytes per actor it
/// prints. A child that fails ends this process with the child's status.
double memory_in_child(const char* impl, std::uint64_t actors, std::size_t workers) {
  int out[2];
  require(pipe(out) == 0, "pipe() failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  std::string self = "/proc/self/exe";
  std::string flag(child_flag), which(impl), n = std::to_string(actors),
                                             w = std::to_string(workers);
  char* argv[] = {self.data(), flag.data(), which.data(), n.data(), w.data(), nullptr};
  pid_t pid = 0;
  const int err = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  require(err == 0, "cannot start the memory child process");
  std::string text;
  char buf[256];
  for (ssize_t got; (got = read(out[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<std::size_t>(got));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fflush(stdout);
    std::fprintf(stderr, "jaegis-bench: the %s memory child failed (status %d)\n", impl, status);
    std::_Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  double bytes = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), bytes);
  require(ec == std::errc{}, "the memory child printed no figure: '" + text + "'");
  return bytes;
}

int memory_child(int argc, char** argv) {
  unsigned long long actors = 0, workers = 0;
  if (argc != 5 ||
      std::from_chars(argv[3], argv[3] + std::string_view(argv[3]).size(), actors).ec !=
          std::errc{} ||
      std::from_chars(argv[4], argv[4] + std::string_view(argv[4]).size(), workers).ec !=
          std::errc{}) {
    std::fprintf(stderr, "usage: jaegis-bench --memory-child jaegis|caf ACTORS WORKERS\n");
    return 2;
  }
  const std::string_view impl = argv[2];
  double bytes = 0;
  if (impl == "jaegis") {
    bytes = jaegis_side::memory_per_actor(workers, actors);
  } else if (impl == "caf") {
    bytes = caf_side::memory_per_actor(workers, actors);
  } else {
    std::fprintf(stderr, "jaegis-bench --memory-child: unknown side %s\n", argv[2]);
    return 2;
  }
  std::printf("%.17g\n", bytes);
  return 0;
}

void memory(context& ctx) {
  const run_params p = params_of(ctx);
  const headline h{"rss_per_actor", false};
  for (unsigned round = 0; round < ctx.rounds(); ++round) {
    const figures j{
        {"rss_per_actor", "B", memory_in_child("jaegis", p.n.memory_actors, p.workers)}};
    report_all(ctx, "jaegis", j);
    const figures c{{"rss_per_actor", "B", memory_in_child("caf", p.n.memory_actors, p.workers)}};
    report_all(ctx, "caf", c);
    report_ratio(ctx, h, j, c);
  }
  ctx.note(std::to_string(p.n.memory_actors) +
           " idle actors, each side in a child process: (RSS after - RSS before) / actors");
  ctx.note(ratio_note(h));
}

// ---------------------------------------------------------------------------------------------
// remote-pingpong, remote-throughput: each side's round talks to a fresh peer process of its own
// (peer_process.hpp), started before the round's actor system and stopped after it.

using remote_fn = figures (*)(const run_params&, const peer_process&);

struct remote_sides {
  const char* workload;
  remote_fn floor, jaegis, caf;
};

figures remote_round(const run_params& p, bool quick, const char* workload, const char* impl,
                     remote_fn fn) {
  peer_process peer({workload, impl, p.workers, quick, -1});
  figures f = fn(p, peer);
  peer.stop();
  return f;
}

/// F J C F J C ... as compare(), each with its own peer; without the JAEGIS side (a build
/// without remoting) F C F C ... and no ratio. Returns whether it ran.
bool compare_remote(context& ctx, const remote_sides& s, const headline& h) {
  const run_params p = params_of(ctx);
  const bool jaegis_built = jaegis_side::remote_built();
  if (!only_side().empty()) {
    const bool j = only_side() == "jaegis";
    require(j || only_side() == "caf", "JAEGIS_BENCH_SIDE must be jaegis or caf");
    require(!j || jaegis_built, std::string(s.workload) + ": the JAEGIS side is not built yet");
    for (unsigned round = 0; round < ctx.rounds(); ++round)
      report_all(
          ctx, j ? "jaegis" : "caf",
          remote_round(p, ctx.quick(), s.workload, j ? "jaegis" : "caf", j ? s.jaegis : s.caf));
    ctx.note("JAEGIS_BENCH_SIDE: one side only, no floor, no ratio (a profiling run)");
    return true;
  }
  for (unsigned round = 0; round < ctx.rounds(); ++round) {
    report_all(ctx, "floor", remote_round(p, ctx.quick(), s.workload, "floor", s.floor));
    figures j;
    if (jaegis_built) {
      j = remote_round(p, ctx.quick(), s.workload, "jaegis", s.jaegis);
      report_all(ctx, "jaegis", j);
    }
    const figures c = remote_round(p, ctx.quick(), s.workload, "caf", s.caf);
    report_all(ctx, "caf", c);
    if (jaegis_built) report_ratio(ctx, h, j, c);
  }
  if (jaegis_built) {
    ctx.note(ratio_note(h));
  } else {
    ctx.note("jaegis: not built (bench/jaegis_bench/jaegis_remote.cpp waits for the remoting");
    ctx.note("API): floor and CAF only, no ratio");
  }
  ctx.note("process 1 (this one) and process 2 (a peer: jaegis-bench --remote-peer), TCP on");
  ctx.note("127.0.0.1, a fresh peer per side and round; both processes have `workers` workers");
  return true;
}

// ---------------------------------------------------------------------------------------------
// shm-pingpong, shm-throughput: F J T F J T ...: the raw shared-memory ring (floor), JAEGIS over
// its shm carrier (jaegis) and JAEGIS over TCP (jaegis-tcp: the remote workload's JAEGIS side),
// each with a fresh peer. No CAF side: CAF has no shared-memory transport. Ratio vs_tcp: jaegis
// over jaegis-tcp (> 1: shm better).

struct shm_sides {
  const char* workload;
  remote_fn floor, shm;
  const char* tcp_workload;  ///< the remote workload whose JAEGIS side is the TCP row
  remote_fn tcp;
};

/// Returns the median over rounds of jaegis / floor for h's metric (the goal's figure).
double compare_shm(context& ctx, const shm_sides& s, const headline& h) {
  const run_params p = params_of(ctx);
  const bool one_side = !only_side().empty();
  require(!one_side || only_side() == "jaegis",
          std::string(s.workload) + ": JAEGIS_BENCH_SIDE must be jaegis (there is no CAF side)");
  std::vector<double> over_floor;
  for (unsigned round = 0; round < ctx.rounds(); ++round) {
    figures f;
    if (!one_side) {
      f = remote_round(p, ctx.quick(), s.workload, "floor", s.floor);
      report_all(ctx, "floor", f);
    }
    const figures j = remote_round(p, ctx.quick(), s.workload, "jaegis", s.shm);
    report_all(ctx, "jaegis", j);
    if (one_side) continue;
    const figures t = remote_round(p, ctx.quick(), s.tcp_workload, "jaegis", s.tcp);
    report_all(ctx, "jaegis-tcp", t);
    report_ratio(ctx, h, j, t, "vs_tcp");
    over_floor.push_back(find(j, h.metric)->value / find(f, h.metric)->value);
  }
  if (one_side) {
    ctx.note("JAEGIS_BENCH_SIDE: JAEGIS over shm only, no floor, no TCP, no ratio");
    return 0;
  }
  ctx.note(std::string("ratio vs_tcp = ") +
           (h.higher_is_better ? "jaegis / jaegis-tcp " : "jaegis-tcp / jaegis ") + h.metric +
           ", per round (> 1: shm better)");
  ctx.note("jaegis: JAEGIS over shm:// (2 processes); jaegis-tcp: the same over TCP 127.0.0.1;");
  ctx.note("floor: a raw SPSC ring per direction in a shared mapping, readers spinning");
  return summarize(over_floor).median;
}

int serve_remote_peer(const peer_args& a) {
  struct entry {
    std::string_view workload, impl;
    int (*serve)(const peer_args&);
  };
  static constexpr entry table[] = {
      {"remote-pingpong", "floor", remote_floor::serve_pingpong},
      {"remote-pingpong", "jaegis", jaegis_side::serve_remote_pingpong},
      {"remote-pingpong", "caf", caf_side::serve_remote_pingpong},
      {"remote-throughput", "floor", remote_floor::serve_throughput},
      {"remote-throughput", "jaegis", jaegis_side::serve_remote_throughput},
      {"remote-throughput", "caf", caf_side::serve_remote_throughput},
      {"shm-pingpong", "floor", shm_floor::serve_pingpong},
      {"shm-pingpong", "jaegis", jaegis_side::serve_shm_pingpong},
      {"shm-throughput", "floor", shm_floor::serve_throughput},
      {"shm-throughput", "jaegis", jaegis_side::serve_shm_throughput},
  };
  for (const entry& e : table) {
    if (e.workload == a.workload && e.impl == a.impl) return e.serve(a);
  }
  std::fprintf(stderr, "jaegis-bench --remote-peer: unknown workload or side: %s %s\n",
               a.workload.c_str(), a.impl.c_str());
  return 2;
}

// ---------------------------------------------------------------------------------------------

figures jaegis_pingpong(const run_params& p) {
  return jaegis_side::pingpong(p, false);
}
figures caf_pingpong(const run_params& p) {
  return caf_side::pingpong(p, false);
}
figures jaegis_cross(const run_params& p) {
  return jaegis_side::pingpong(p, true);
}
figures caf_cross(const run_params& p) {
  return caf_side::pingpong(p, true);
}
/// Set from the options before the workload runs (a side_fn takes no context).
std::pair<int, int> two_worker_cpus{-1, -1};
figures jaegis_two_workers(const run_params& p) {
  return jaegis_side::pingpong_two_workers(p, two_worker_cpus.first, two_worker_cpus.second);
}

std::vector<workload> all_workloads() {
  const headline rate{"rate", true};
  return {
      {"pingpong", "2 actors, 10^6 round trips: round-trip latency and rate",
       [=](context& ctx) {
         compare(ctx, params_of(ctx), jaegis_pingpong, caf_pingpong, rate, floor_size(ctx));
         ctx.note("both actors on the workers; 10^4 unmeasured round trips first");
       }},
      {"pingpong-cross",
       "pingpong with the ponger a detached actor (a thread of its own): every hop changes thread",
       [=](context& ctx) {
         two_worker_cpus = pair_cpus(ctx);
         compare(ctx, params_of(ctx), jaegis_cross, caf_cross, rate, floor_size(ctx),
                 jaegis_two_workers);
         ctx.note("ponger: spawn_detached (JAEGIS) / spawn<detached> (CAF); pinger on a worker");
         ctx.note("w2w_*: JAEGIS only, pinger and ponger in two 1-worker systems, workers on the");
         ctx.note("floor's two cpus: every hop is worker to worker through the injection queue");
       }},
      {"mailbox", "20 senders x 5*10^5 messages to one receiver: messages/s",
       [=](context& ctx) {
         compare(ctx, params_of(ctx), jaegis_side::mailbox, caf_side::mailbox, rate, 0);
       }},
      {"creation", "fork tree of 2^21 - 1 actors (depth 20), leaves reply upwards: actors/s",
       [=](context& ctx) {
         compare(ctx, params_of(ctx), jaegis_side::creation, caf_side::creation, rate, 0);
       }},
      {"memory", "bytes of RSS per idle actor, 10^6 actors", memory},
      {"ring", "1000 actors pass a token 10^7 hops: hops/s",
       [=](context& ctx) {
         compare(ctx, params_of(ctx), jaegis_side::ring, caf_side::ring, rate, 0);
       }},
      {"fanout", "coordinator + 1000 workers, scatter-gather, 1000 rounds: rounds/s, round latency",
       [=](context& ctx) {
         compare(ctx, params_of(ctx), jaegis_side::fanout, caf_side::fanout, rate, 0);
       }},
      {"big", "1000 actors, each pings random neighbours 10^4 times, they reply: messages/s",
       [=](context& ctx) {
         compare(ctx, params_of(ctx), jaegis_side::big, caf_side::big, rate, 0);
       }},
      {"chameneos", "Savina chameneos, 4 colours, 100 creatures, 10^6 meetings: meetings/s",
       [=](context& ctx) {
         compare(ctx, params_of(ctx), jaegis_side::chameneos, caf_side::chameneos, rate, 0);
       }},
      {"loaded-latency", "request-reply latency at 50% of each side's measured saturation rate",
       [=](context& ctx) {
         // The client polls the clock without sleeping, so it gets a cpu of its own: with every
         // cpu a worker, it would share one with a worker (a pinned one, in JAEGIS) and the OS
         // would time-slice the two, adding milliseconds to requests that have to wait for it.
         run_params p = params_of(ctx);
         const std::vector<int> cpus = allowed_cpus();
         p.workers = p.workers > 1 ? p.workers - 1 : 1;
         if (ctx.opt().pin && cpus.size() >= 2) p.client_cpu = cpus.back();
         compare(ctx, p, jaegis_side::loaded_latency, caf_side::loaded_latency,
                 headline{"rtt_p99", false}, floor_size(ctx));
         ctx.note("workers - 1 workers on both sides; the client, a detached actor polling the");
         ctx.note("clock, pinned to the last cpu; rtt counts from the intended send time;");
         ctx.note("saturation: the highest paced rate sustained (>= 97 %), searched downwards");
         ctx.note("in 15 % steps from the pipelined rate (64 outstanding); measured at half of it");
       }},
      {"remote-pingpong", "request/reply between 2 processes over loopback TCP, 10^5 round trips",
       [=](context& ctx) {
         if (!compare_remote(ctx,
                             {"remote-pingpong", remote_floor::pingpong,
                              jaegis_side::remote_pingpong, caf_side::remote_pingpong},
                             headline{"rtt_p50", false}))
           return;
         ctx.note("16-byte requests, one outstanding, a warm-up unmeasured; floor: the same over");
         ctx.note("a raw blocking TCP socket (TCP_NODELAY); goal: jaegis rtt_p50 <= 1.3x floor");
       }},
      {"remote-throughput", "10^6 64-byte messages from process 1 to process 2 over loopback TCP",
       [=](context& ctx) {
         if (!compare_remote(ctx,
                             {"remote-throughput", remote_floor::throughput,
                              jaegis_side::remote_throughput, caf_side::remote_throughput},
                             rate))
           return;
         ctx.note("one sender, 1000 sends per run; the receiver acknowledges the last message;");
         ctx.note("floor: the same bytes streamed in 64 KiB writes (the wire's limit)");
       }},
      {"shm-pingpong",
       "remote-pingpong between 2 processes over shared memory: JAEGIS shm vs TCP vs a raw ring",
       [=](context& ctx) {
         const double over_floor =
             compare_shm(ctx,
                         {"shm-pingpong", shm_floor::pingpong, jaegis_side::shm_pingpong,
                          "remote-pingpong", jaegis_side::remote_pingpong},
                         headline{"rtt_p50", false});
         if (over_floor <= 0) return;
         char line[120];
         std::snprintf(line, sizeof line,
                       "jaegis / floor rtt_p50 = %.2f (median over rounds); goal: <= 1.5",
                       over_floor);
         ctx.note(line);
       }},
      {"shm-throughput",
       "remote-throughput's 64-byte messages over shared memory: JAEGIS shm vs TCP vs a raw ring",
       [=](context& ctx) {
         const double over_floor =
             compare_shm(ctx,
                         {"shm-throughput", shm_floor::throughput, jaegis_side::shm_throughput,
                          "remote-throughput", jaegis_side::remote_throughput},
                         rate);
         if (over_floor <= 0) return;
         char line[120];
         std::snprintf(line, sizeof line,
                       "jaegis / floor rate = %.3f (median over rounds); goal: vs_tcp >= 10",
                       over_floor);
         ctx.note(line);
       }},
  };
}

}  // namespace
}  // namespace jaegis::bench::vs

int main(int argc, char** argv) {
  using namespace jaegis::bench::vs;
  if (argc >= 2 && std::string_view(argv[1]) == child_flag) return memory_child(argc, argv);
  if (argc >= 2 && std::string_view(argv[1]) == remote_peer_flag) {
    return remote_peer_main(argc, argv, serve_remote_peer);
  }
  const std::vector<jaegis::bench::workload> workloads = all_workloads();
  return jaegis::bench::run_main(argc, argv, "jaegis-bench", workloads);
}
