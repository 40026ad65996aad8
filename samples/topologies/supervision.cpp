// supervision: workers under a supervisor (actors/ supervisor.hpp) crash at random and are
// restarted; a dispatcher retries what the crashes failed, and a ledger makes completion
// idempotent, so that every task is done, and counted, exactly once.
//
// The actors:
//
//   dispatcher  spawns the supervisor, then hands tasks to the workers as requests (two open per
//               worker) and retries a task whose request failed, on another worker
//   supervisor  starts N workers (one-for-one, permanent) and restarts each one that crashes
//   worker      announces itself to the dispatcher when it starts (so the dispatcher always
//               knows each slot's current incarnation), then does tasks: the work, a report to
//               the ledger, the answer
//   ledger      records each task's first completion report; a later one for the same task is
//               a duplicate: counted, ignored
//
// Crashes are seeded: whether attempt a of task t crashes depends on (t, a) only. 1 % of
// attempts throw before doing the work (the task is lost with the worker), and 1 % after
// reporting it to the ledger (the report stands, the answer is lost): the dispatcher cannot tell
// the two apart, so it retries both, and the second kind makes the retry report the task again.
// That is why completion goes through the ledger, keyed by task number: at-least-once delivery
// plus an idempotent record is exactly once.
//
// A crash fails the request being handled with the exception (unhandled_exception), and those
// waiting in the crashed worker's mailbox with actor_down. The dispatcher retries each, marks the
// slot down until its next incarnation announces itself, and finishes only when every task is
// acknowledged and every slot is up again, so every crash's restart is in before it counts.
// When the dispatcher quits, the supervisor (referenced by it only) stops and takes the workers
// with it; the ledger, referenced by them, stops last.
//
//   --agents    workers (default 16)
//   --messages  tasks (default 1,000,000)
//   --seconds   stop handing out new tasks after this long (retries still run)
//   invariant   every task handed out was acknowledged to the dispatcher exactly once and
//               recorded by the ledger exactly once with the right result, however many
//               duplicate reports the retries caused; the supervisor restarted the workers
//               exactly as many times as they crashed, and as the dispatcher saw crash
//               failures; the supervisor never gave up
//
// Latency: from a task's first hand-out to its acknowledgement, retries included.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "jaegis/actors/supervisor.hpp"
#include "jaegis/jaegis.hpp"
#include "jaegis/samples/topology.hpp"

namespace jaegis::samples {

namespace {

using namespace std::chrono_literals;

// ---- the numbers, and why ----

// Out of every 10,000 attempts, 100 crash before the work and 100 after the report: 2 % in all,
// enough for thousands of restarts in a default run, few enough that retries stay a side show.
constexpr std::uint64_t crash_before = 100;
constexpr std::uint64_t crash_after = 100;
constexpr std::uint64_t attempts_per_roll = 10'000;
constexpr std::uint64_t crash_seed = 0x5eed'5eed;
// Tasks open per worker: one running, one waiting, so a worker never idles while its answer
// travels.
constexpr std::uint32_t open_per_worker = 2;
// Answers take microseconds; a timeout here would mean a lost message.
constexpr auto task_timeout = 10s;
// Restart intensity: more than 250,000 restarts within a second and the supervisor gives up
// (escalation). A quiet 2-core run sees about 46,000 crashes a second (2 % of 2.3 million tasks a
// second): the limit leaves five times that, for faster machines. It is sized for this sample's
// crash rate; a real system sets it from the failure rate it can accept.
constexpr std::size_t max_restarts = 250'000;
constexpr auto restart_period = 1s;
// Progress is reported every this many acknowledged tasks.
constexpr std::uint64_t progress_batch = 256;

constexpr std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
// The work: 64 rounds of the hash, a couple of hundred nanoseconds.
constexpr std::uint64_t do_work(std::uint32_t task) {
  std::uint64_t x = task;
  for (int i = 0; i < 64; ++i)
    x = mix(x);
  return x;
}
// The seeded dice: 0 .. attempts_per_roll - 1 for attempt `attempt` of `task`.
constexpr std::uint64_t roll(std::uint32_t task, std::uint32_t attempt) {
  return mix(crash_seed ^ mix(task) ^ (std::uint64_t{attempt} << 32)) % attempts_per_roll;
}

// ---- the messages ----

struct worker;
struct job {
  std::uint32_t task;
  std::uint32_t attempt;  // 0 for the first
};
struct job_done {  // the answer to a job
  std::uint32_t task;
  std::uint64_t result;
};
struct completion {  // a worker's report to the ledger
  std::uint32_t task;
  std::uint64_t result;
};
struct ready {  // a worker's first message: slot `slot` is now this incarnation
  std::uint32_t slot;
  ref<worker> who;
};

// ---- what the actors leave behind for the check ----

struct ledger_log {
  std::vector<std::uint32_t> reports;  // per task: completion reports received
  std::vector<std::uint64_t> result;   // per task: the first report's result
  std::uint64_t duplicates = 0;        // reports after the first
  std::uint64_t conflicting = 0;       // duplicates whose result differs from the first
};
struct task_record {
  clock_type::time_point handed_out;
  std::uint32_t attempts = 0;
  std::uint32_t acks = 0;
};
struct dispatcher_log {
  std::vector<task_record> tasks;    // per task handed out
  std::uint64_t crash_failures = 0;  // requests failed with the worker's exception
  std::uint64_t behind_a_crash = 0;  // requests failed with actor_down
  std::uint64_t other_failures = 0;  // timeouts and anything else
  std::uint64_t retries = 0;
  std::uint64_t readies = 0;
  std::uint64_t messages = 0;
  bool supervisor_gave_up = false;
  std::string supervisor_reason;
  clock_type::time_point finished_at;
  latency_histogram latency;
};

struct shared {
  const topology_params* params;
  progress* meter;
  clock_type::time_point start;
  // Per worker slot. A slot's incarnations run one after another (the next is started only after
  // the supervisor saw the last one stop), so each counter has one writer at a time.
  std::vector<std::uint64_t> crashed_before;
  std::vector<std::uint64_t> crashed_after;
  std::vector<std::uint64_t> starts;  // written by the supervisor's factory
  ledger_log ledger;
  dispatcher_log dispatcher;
};

// ---- the actors ----

struct ledger : actor<ledger, completion> {
  explicit ledger(shared* s) : state(s) {}

  void on(completion& c) {
    if (c.task >= log.reports.size()) {
      log.reports.resize(c.task + 1, 0);
      log.result.resize(c.task + 1, 0);
    }
    if (log.reports[c.task]++ == 0) {
      log.result[c.task] = c.result;
      return;
    }
    ++log.duplicates;  // a retry of a task whose worker crashed after reporting it
    if (c.result != log.result[c.task]) ++log.conflicting;
  }

  void on_stop(const exit_reason&) override { state->ledger = std::move(log); }

  shared* state;
  ledger_log log;
};

struct dispatcher;

struct worker : actor<worker, job> {
  worker(shared* s, std::uint32_t i, ref<dispatcher> d, ref<ledger> l)
      : state(s), slot(i), boss(std::move(d)), books(std::move(l)) {}

  void on_start() override;  // below: announces this incarnation to the dispatcher

  job_done on(job& j) {
    const std::uint64_t r = roll(j.task, j.attempt);
    if (r < crash_before) crash(j, state->crashed_before, "before doing it");
    const std::uint64_t result = do_work(j.task);
    books.send(completion{j.task, result});
    if (r < crash_before + crash_after) crash(j, state->crashed_after, "after reporting it");
    return {j.task, result};
  }

  [[noreturn]] void crash(const job& j, std::vector<std::uint64_t>& count, const char* when) {
    ++count[slot];
    std::string what = "simulated crash on task ";
    what += std::to_string(j.task);
    what += ", ";
    what += when;
    throw std::runtime_error(what);
  }

  shared* state;
  std::uint32_t slot;
  ref<dispatcher> boss;
  ref<ledger> books;
};

struct dispatcher : actor<dispatcher, ready, down_msg> {
  dispatcher(shared* s, ref<ledger> l, std::uint32_t workers)
      : state(s), books(std::move(l)), slots(workers) {}

  // One worker slot: its current incarnation, whether that one is known to be running, and the
  // tasks sent to the slot and not yet answered.
  struct slot {
    ref<worker> current;
    bool up = false;
    std::uint32_t open = 0;
  };

  void on_start() override {
    state->start = clock_type::now();
    std::vector<actors::child_spec> specs;
    for (std::uint32_t i = 0; i < slots.size(); ++i) {
      std::string name = "worker-";
      name += std::to_string(i);
      specs.push_back(
          {std::move(name),
           [s = state, i, me = self(), books = books](actor_system& system) -> actor_ref {
             ++s->starts[i];
             return system.spawn<worker>(s, i, me, books);
           },
           actors::restart::permanent});
    }
    // The workers announce themselves, so the names need not go into the registry (where they
    // would have to be unique in the whole system).
    sup = system().spawn<actors::supervisor>(
        actors::supervisor_options{.how = actors::strategy::one_for_one,
                                   .max_restarts = max_restarts,
                                   .within = restart_period,
                                   .register_names = false},
        std::move(specs));
    monitor(sup);
    books.reset();  // the factories hold it now
  }

  void on(ready& r) {
    slot& s = slots[r.slot];
    s.current = std::move(r.who);
    s.up = true;
    ++log.readies;
    ++log.messages;
    dispatch();
  }

  // Only the supervisor is monitored: it stopped, so it gave up (too many restarts).
  void on(down_msg& d) {
    log.supervisor_gave_up = true;
    log.supervisor_reason = d.reason.to_string();
    finish();
  }

  // Hands out retries first, then new tasks, to workers that are up and have room.
  void dispatch() {
    while (!finished) {
      const bool fresh = retries.empty();
      if (fresh && !more_to_hand_out()) break;
      const std::optional<std::uint32_t> to = next_worker();
      if (!to) break;
      std::uint32_t task = 0;
      if (fresh) {
        task = static_cast<std::uint32_t>(log.tasks.size());
        log.tasks.push_back({clock_type::now(), 0, 0});
      } else {
        task = retries.front();
        retries.pop_front();
      }
      send(task, *to);
    }
    const bool all_up = std::all_of(slots.begin(), slots.end(), [](const slot& s) { return s.up; });
    if (open == 0 && retries.empty() && !more_to_hand_out() && all_up) finish();
  }

  bool more_to_hand_out() {
    if (stopped_handing_out || log.tasks.size() == state->params->messages) return false;
    stopped_handing_out = state->params->time_is_up(state->start);
    return !stopped_handing_out;
  }

  std::optional<std::uint32_t> next_worker() {
    for (std::size_t k = 0; k < slots.size(); ++k) {
      const std::uint32_t i = static_cast<std::uint32_t>((turn + k) % slots.size());
      if (slots[i].up && slots[i].open < open_per_worker) {
        turn = (i + 1) % slots.size();
        return i;
      }
    }
    return std::nullopt;
  }

  void send(std::uint32_t task, std::uint32_t i) {
    slot& s = slots[i];
    ++s.open;
    ++open;
    const std::uint32_t attempt = log.tasks[task].attempts++;
    const actor_id incarnation = s.current.id();
    log.messages += 2;  // the job and its answer (or failure)
    request(s.current, job{task, attempt}, task_timeout)
        .then([this, i](job_done& d) { answered(i, d); },
              [this, task, i, incarnation](const error& e) { failed(task, i, incarnation, e); });
  }

  void answered(std::uint32_t i, const job_done& d) {
    --slots[i].open;
    --open;
    task_record& t = log.tasks[d.task];
    if (++t.acks == 1) {
      log.latency.record(static_cast<std::uint64_t>((clock_type::now() - t.handed_out).count()));
      if (++acknowledged % progress_batch == 0) state->meter->add(progress_batch);
    }
    dispatch();
  }

  void failed(std::uint32_t task, std::uint32_t i, actor_id incarnation, const error& e) {
    --slots[i].open;
    --open;
    bool dead = true;
    if (e.code() == errc::unhandled_exception) {
      ++log.crash_failures;
    } else if (e.code() == errc::actor_down) {
      ++log.behind_a_crash;  // it waited in the crashed worker's mailbox, or was sent after
    } else {
      ++log.other_failures;  // a timeout: the worker may be alive, only slow
      dead = false;
    }
    // Down until its next incarnation announces itself; a failure from an earlier incarnation
    // (the slot has moved on already) says nothing about the current one.
    if (dead && slots[i].current.id() == incarnation) slots[i].up = false;
    retries.push_back(task);
    ++log.retries;
    dispatch();
  }

  void finish() {
    if (finished) return;
    finished = true;
    state->meter->add(acknowledged % progress_batch);
    log.finished_at = clock_type::now();
    state->dispatcher = std::move(log);
    quit();  // drops the supervisor, which stops and takes the workers with it
  }

  shared* state;
  ref<ledger> books;
  std::vector<slot> slots;
  ref<actors::supervisor> sup;
  std::deque<std::uint32_t> retries;
  std::size_t turn = 0;
  std::uint32_t open = 0;
  std::uint64_t acknowledged = 0;
  bool stopped_handing_out = false;
  bool finished = false;
  dispatcher_log log;
};

void worker::on_start() {
  boss.send(ready{slot, self()});
  boss.reset();  // nothing else to tell it: the answers go back through the requests
}

// ---- the check ----

struct verdict {
  std::uint64_t handed_out = 0, not_acked = 0, acked_twice = 0, not_recorded = 0,
                recorded_twice_counted = 0, wrong = 0, unknown = 0;
};

verdict check(const shared& state) {
  const dispatcher_log& d = state.dispatcher;
  const ledger_log& l = state.ledger;
  verdict v;
  v.handed_out = d.tasks.size();
  for (std::uint32_t t = 0; t < d.tasks.size(); ++t) {
    if (d.tasks[t].acks == 0) ++v.not_acked;
    if (d.tasks[t].acks > 1) ++v.acked_twice;
    if (t >= l.reports.size() || l.reports[t] == 0) {
      ++v.not_recorded;
    } else if (l.result[t] != do_work(t)) {
      ++v.wrong;
    }
  }
  // The ledger counts a task once however often it was reported: its duplicates must account
  // for every report beyond the first.
  std::uint64_t reports = 0, tasks_reported = 0;
  for (std::size_t t = 0; t < l.reports.size(); ++t) {
    reports += l.reports[t];
    tasks_reported += l.reports[t] > 0 ? 1 : 0;
    if (t >= d.tasks.size() && l.reports[t] > 0) ++v.unknown;
  }
  if (reports - tasks_reported != l.duplicates) v.recorded_twice_counted = 1;
  return v;
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) {
  std::uint64_t s = 0;
  for (std::uint64_t x : v)
    s += x;
  return s;
}

std::string validate(const topology_params& p) {
  if (p.agents > 0xffffffffu || p.messages > 0xffffffffu) {
    return "--agents and --messages must be below 2^32 (tasks and workers are 32-bit numbers)";
  }
  return {};
}

outcome run(actor_system& system, const topology_params& params, progress& meter) {
  shared state{&params,
               &meter,
               {},
               std::vector<std::uint64_t>(params.agents, 0),
               std::vector<std::uint64_t>(params.agents, 0),
               std::vector<std::uint64_t>(params.agents, 0),
               {},
               {}};
  meter.set_total(params.messages);
  ref<dispatcher> boss = system.spawn<dispatcher>(&state, system.spawn<ledger>(&state),
                                                  static_cast<std::uint32_t>(params.agents));
  system.await_all_actors_done();
  boss.reset();

  const dispatcher_log& d = state.dispatcher;
  const ledger_log& l = state.ledger;
  const verdict v = check(state);
  const std::uint64_t crashes = sum(state.crashed_before) + sum(state.crashed_after);
  const std::uint64_t restarts = sum(state.starts) - params.agents;
  outcome o;
  o.elapsed = d.finished_at - state.start;
  o.completed = v.handed_out - v.not_acked;
  std::uint64_t reports = 0;
  for (std::uint32_t r : l.reports)
    reports += r;
  o.messages = d.messages + reports;
  o.stopped_early = params.time_limit.count() > 0 && v.handed_out < params.messages;
  o.latency = d.latency;
  o.invariant_held = v.not_acked == 0 && v.acked_twice == 0 && v.not_recorded == 0 &&
                     v.recorded_twice_counted == 0 && v.wrong == 0 && v.unknown == 0 &&
                     l.conflicting == 0 && restarts == crashes && d.crash_failures == crashes &&
                     !d.supervisor_gave_up && (v.handed_out == params.messages || o.stopped_early);
  o.invariant = std::to_string(v.handed_out);
  o.invariant += " tasks handed out; not acknowledged ";
  o.invariant += std::to_string(v.not_acked);
  o.invariant += ", acknowledged twice ";
  o.invariant += std::to_string(v.acked_twice);
  o.invariant += ", not in the ledger ";
  o.invariant += std::to_string(v.not_recorded);
  o.invariant += ", wrong results ";
  o.invariant += std::to_string(v.wrong);
  o.invariant += "; ";
  o.invariant += std::to_string(l.duplicates);
  o.invariant += " duplicate reports ignored";
  if (v.recorded_twice_counted != 0) o.invariant += " (miscounted)";
  o.invariant += "; ";
  o.invariant += std::to_string(crashes);
  o.invariant += " crashes, ";
  o.invariant += std::to_string(restarts);
  o.invariant += " restarts, ";
  o.invariant += std::to_string(d.crash_failures);
  o.invariant += " crash failures seen by the dispatcher";
  if (d.supervisor_gave_up) {
    o.invariant += "; the supervisor gave up: ";
    o.invariant += d.supervisor_reason;
  }
  o.figures = {
      {"crashes before doing the task", static_cast<double>(sum(state.crashed_before))},
      {"crashes after reporting it", static_cast<double>(sum(state.crashed_after))},
      {"restarts by the supervisor", static_cast<double>(restarts)},
      {"requests failed by a crash", static_cast<double>(d.crash_failures)},
      {"requests failed behind a crash (actor_down)", static_cast<double>(d.behind_a_crash)},
      {"retries", static_cast<double>(d.retries)},
      {"duplicate completions ignored by the ledger", static_cast<double>(l.duplicates)},
      {"restart limit, per second", static_cast<double>(max_restarts)},
  };
  return o;
}

}  // namespace

extern const topology supervision_topology;
const topology supervision_topology{
    .name = "supervision",
    .summary = "workers crash at random and are restarted; retried tasks complete exactly once",
    .unit = "tasks",
    .latency_of = "a task handed out to its acknowledgement, retries included",
    .agents_help = "workers under the supervisor",
    .default_agents = 16,
    .messages_help = "tasks",
    .default_messages = 1'000'000,
    .time_limited = true,
    .validate = validate,
    .run = run,
};

}  // namespace jaegis::samples
