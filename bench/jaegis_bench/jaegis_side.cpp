// The JAEGIS side of jaegis-bench: every workload of workloads.hpp on jaegis::actor_system.
//
// Messages are plain structs; actors keep typed or untyped refs to the actors they talk to (no
// reply-to-sender lookups), as the CAF side keeps actor handles. Each actor keeps its own counts
// and hands them to the round's state when it stops, so that nothing on the message path touches
// a shared cache line that the CAF side would not touch too.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <jaegis/jaegis.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "round_state.hpp"
#include "workloads.hpp"

namespace jaegis::bench::vs::jaegis_side {
namespace {

using jaegis::actor;
using jaegis::actor_ref;
using jaegis::actor_system;
using jaegis::actor_system_config;
using jaegis::ref;

/// The environment may tune the system (JAEGIS_THROUGHPUT, JAEGIS_PIN...), but the worker count
/// is the benchmark's, so that both sides always run with the same.
actor_system_config make_config(std::size_t workers) {
  actor_system_config config = actor_system_config::from_env(actor_system_config{});
  config.executor.workers = workers;
  return config;
}

struct stop_msg {};

// ---------------------------------------------------------------------------------------------
// pingpong: two actors bounce a numbered ball; the pinger stamps every round trip.

struct ball {
  std::uint64_t n;
};
struct go_msg {};
/// Pins the worker that runs the receiver to `cpu` (-1: leave it), for the two single-worker
/// systems of pingpong_two_workers. An executor with one worker would pin it to the first cpu,
/// both executors to the same one; so they are built unpinned and each actor pins its worker.
struct pin_msg {
  int cpu;
};

struct pp_pong : actor<pp_pong, pin_msg, ball, actor_ref, stop_msg> {
  void on(pin_msg& m) {
    if (m.cpu >= 0) pin_this_thread(m.cpu);
  }
  void on(actor_ref& peer) { ping_ = std::move(peer); }
  void on(ball& b) { ping_.send(ball{b.n}); }
  void on(stop_msg&) { quit(); }
  actor_ref ping_;
};

struct pp_ping : actor<pp_ping, pin_msg, go_msg, ball> {
  pp_ping(ref<pp_pong> pong, pingpong_state* st) : pong_(std::move(pong)), st_(st) {}

  void on(pin_msg& m) {
    if (m.cpu >= 0) pin_this_thread(m.cpu);
  }
  void on(go_msg&) {
    last_ = sample_clock::now();
    if (st_->warmup == 0) {
      st_->start_ns = now_ns();
      st_->alloc_calls_start = jaegis::mem::global_allocator_calls();
    }
    pong_.send(ball{0});
  }
  void on(ball& b) {
    const std::uint64_t t = sample_clock::now();
    if (b.n != done_) ++st_->out_of_order;
    if (done_ >= st_->warmup) st_->samples[done_ - st_->warmup] = t - last_;
    last_ = t;
    ++done_;
    if (done_ == st_->warmup) {
      st_->start_ns = now_ns();
      st_->alloc_calls_start = jaegis::mem::global_allocator_calls();
    }
    if (done_ == st_->warmup + st_->round_trips) {
      st_->end_ns = now_ns();
      st_->alloc_calls_end = jaegis::mem::global_allocator_calls();
      pong_.send(stop_msg{});
      quit();
      st_->line.finish();
      return;
    }
    pong_.send(ball{done_});
  }

  ref<pp_pong> pong_;
  pingpong_state* st_;
  std::uint64_t done_ = 0;
  std::uint64_t last_ = 0;
};

// ---------------------------------------------------------------------------------------------
// mailbox: many senders, one receiver that checks per-sender order.

struct item {
  std::uint32_t sender;
  std::uint32_t seq;
};
struct more {};

struct mb_sink : actor<mb_sink, item> {
  mb_sink(std::uint32_t senders, mailbox_state* st) : next_(senders, 0), st_(st) {}
  void on(item& m) {
    if (m.seq != next_[m.sender]) ++out_of_order_;
    next_[m.sender] = m.seq + 1;
    if (++received_ == st_->expected) {
      st_->received = received_;
      st_->out_of_order = out_of_order_;
      quit();
      st_->line.finish();
    }
  }
  std::vector<std::uint32_t> next_;
  mailbox_state* st_;
  std::uint64_t received_ = 0;
  std::uint64_t out_of_order_ = 0;
};

/// Sends in chunks and continues through a message to itself, so that a sender shares its worker
/// with the others and the receiver instead of holding it for its whole quota.
struct mb_source : actor<mb_source, more> {
  mb_source(ref<mb_sink> to, std::uint32_t id, std::uint32_t total)
      : to_(std::move(to)), id_(id), total_(total) {}
  void on(more&) {
    const std::uint32_t end = std::min(total_, sent_ + mailbox_chunk);
    for (; sent_ < end; ++sent_)
      to_.send(item{id_, sent_});
    if (sent_ < total_) {
      self().send(more{});
    } else {
      quit();
    }
  }
  ref<mb_sink> to_;
  std::uint32_t id_, total_, sent_ = 0;
};

// ---------------------------------------------------------------------------------------------
// creation: a binary fork tree; every node reports the size of its subtree to its parent.

struct subtree_done {
  std::uint64_t nodes;
};

struct cr_node : actor<cr_node, subtree_done> {
  cr_node(ref<cr_node> parent, int depth, creation_state* st)
      : parent_(std::move(parent)), depth_(depth), st_(st) {}

  void on_start() override {
    if (depth_ == st_->max_depth) {
      report(1);
      return;
    }
    // The children hold refs to this node, which keep it alive until both have reported.
    system().spawn<cr_node>(self(), depth_ + 1, st_);
    system().spawn<cr_node>(self(), depth_ + 1, st_);
  }
  void on(subtree_done& d) {
    nodes_ += d.nodes;
    if (++reported_ == 2) report(nodes_ + 1);
  }
  void report(std::uint64_t nodes) {
    if (parent_) {
      parent_.send(subtree_done{nodes});
    } else {
      st_->nodes = nodes;
      st_->line.finish();
    }
    quit();
  }

  ref<cr_node> parent_;
  int depth_;
  creation_state* st_;
  std::uint64_t nodes_ = 0;
  int reported_ = 0;
};

// ---------------------------------------------------------------------------------------------
// memory: idle actors that only count their start.

std::atomic<std::uint64_t> idle_started{0};
struct poke {};

struct idle_actor : actor<idle_actor, poke> {
  void on_start() override {
    // relaxed: the main thread only polls the count; it reads no data the actors wrote.
    idle_started.fetch_add(1, std::memory_order_relaxed);
  }
  void on(poke&) {}
};

// ---------------------------------------------------------------------------------------------
// ring: one token passed around a ring of actors.

struct token {
  std::uint64_t left;
};

struct rg_node : actor<rg_node, actor_ref, token, stop_msg> {
  rg_node(std::uint32_t index, ring_state* st) : index_(index), st_(st) {}
  void on(actor_ref& next) { next_ = std::move(next); }
  void on(token& t) {
    ++received_;
    if (t.left == 0) {
      st_->alloc_calls_end = jaegis::mem::global_allocator_calls();
      st_->line.finish();
      return;
    }
    if (t.left == st_->lap) st_->alloc_calls_start = jaegis::mem::global_allocator_calls();
    next_.send(token{t.left - 1});
  }
  void on(stop_msg&) {
    st_->received[index_] = received_;
    quit();
  }
  std::uint32_t index_;
  ring_state* st_;
  actor_ref next_;
  std::uint64_t received_ = 0;
};

// ---------------------------------------------------------------------------------------------
// fanout: a coordinator scatters a round to every worker and gathers their answers.

struct fo_work {
  std::uint32_t round;
};
struct fo_result {
  std::uint32_t round;
};

struct fo_coord : actor<fo_coord, go_msg, fo_result> {
  explicit fo_coord(fanout_state<actor_ref>* st) : st_(st) {}
  void on(go_msg&) {
    st_->start_ns = now_ns();
    scatter();
  }
  void on(fo_result& r) {
    if (r.round != round_) ++st_->stray;
    if (++gathered_ < st_->workers.size()) return;
    st_->round_ticks[round_] = sample_clock::now() - round_start_;
    gathered_ = 0;
    if (++round_ == st_->rounds) {
      for (const actor_ref& w : st_->workers)
        w.send(stop_msg{});
      quit();
      st_->line.finish();
      return;
    }
    scatter();
  }
  void scatter() {
    round_start_ = sample_clock::now();
    for (const actor_ref& w : st_->workers)
      w.send(fo_work{round_});
  }
  fanout_state<actor_ref>* st_;
  std::uint32_t round_ = 0;
  std::size_t gathered_ = 0;
  std::uint64_t round_start_ = 0;
};

struct fo_worker : actor<fo_worker, fo_work, stop_msg> {
  fo_worker(ref<fo_coord> coord, std::uint32_t index, fanout_state<actor_ref>* st)
      : coord_(std::move(coord)), index_(index), st_(st) {}
  void on(fo_work& w) {
    ++handled_;
    coord_.send(fo_result{w.round});
  }
  void on(stop_msg&) {
    st_->handled[index_] = handled_;
    quit();
  }
  ref<fo_coord> coord_;
  std::uint32_t index_;
  fanout_state<actor_ref>* st_;
  std::uint64_t handled_ = 0;
};

// ---------------------------------------------------------------------------------------------
// big: every actor pings random neighbours, one ping outstanding at a time; they answer.

struct bg_ping {
  std::uint32_t from;
};
struct bg_pong {};

struct bg_actor : actor<bg_actor, go_msg, bg_ping, bg_pong, stop_msg> {
  bg_actor(std::uint32_t index, big_state<actor_ref>* st) : index_(index), st_(st), rng_(index) {}
  void on(go_msg&) { send_ping(); }
  void on(bg_ping& p) {
    ++pings_;
    st_->peers[p.from].send(bg_pong{});
  }
  void on(bg_pong&) {
    if (++pongs_ < st_->pings) {
      send_ping();
      return;
    }
    // acq_rel: the last actor to finish sees every other one's increment; the end itself is
    // published to the main thread by finish_line's mutex.
    if (st_->finished.fetch_add(1, std::memory_order_acq_rel) + 1 == st_->peers.size()) {
      st_->line.finish();
    }
  }
  void on(stop_msg&) {
    st_->pings_received[index_] = pings_;
    st_->pongs_received[index_] = pongs_;
    quit();
  }
  void send_ping() {
    const auto n = static_cast<std::uint32_t>(st_->peers.size());
    std::uint32_t to = rng_.below(n - 1);
    if (to >= index_) ++to;  // anyone but itself
    st_->peers[to].send(bg_ping{index_});
  }
  std::uint32_t index_;
  big_state<actor_ref>* st_;
  rng rng_;
  std::uint64_t pings_ = 0;
  std::uint64_t pongs_ = 0;
};

// ---------------------------------------------------------------------------------------------
// chameneos (Savina): creatures meet at a mall, which pairs them; both take the complement.

struct ch_meet {
  colour c;
  std::uint32_t from;
};
struct ch_change {
  colour c;        ///< the colour both partners now have
  colour partner;  ///< the sender's colour before the meeting, to check the complement
};
struct ch_exit {};
struct ch_count {
  std::uint64_t meetings;
  std::uint64_t bad_colours;
};

struct ch_mall : actor<ch_mall, ch_meet, ch_count> {
  explicit ch_mall(chameneos_state<actor_ref>* st) : st_(st), left_(st->meetings) {}
  void on(ch_meet& m) {
    if (left_ == 0) {
      st_->creatures[m.from].send(ch_exit{});
    } else if (waiting_ < 0) {
      waiting_ = m.from;
    } else {
      --left_;
      st_->creatures[static_cast<std::uint32_t>(waiting_)].send(ch_meet{m.c, m.from});
      waiting_ = -1;
    }
  }
  void on(ch_count& c) {
    sum_ += c.meetings;
    bad_ += c.bad_colours;
    if (++faded_ == st_->creatures.size()) {
      st_->sum = sum_;
      st_->bad_colours = bad_;
      quit();
      st_->line.finish();
    }
  }
  chameneos_state<actor_ref>* st_;
  std::uint64_t left_;
  std::int64_t waiting_ = -1;
  std::size_t faded_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t bad_ = 0;
};

struct ch_creature : actor<ch_creature, go_msg, ch_meet, ch_change, ch_exit> {
  ch_creature(std::uint32_t index, colour c, ref<ch_mall> mall, chameneos_state<actor_ref>* st)
      : index_(index), colour_(c), mall_(std::move(mall)), st_(st) {}
  void on(go_msg&) { mall_.send(ch_meet{colour_, index_}); }
  void on(ch_meet& m) {
    const colour before = colour_;
    colour_ = complement(colour_, m.c);
    ++meetings_;
    st_->creatures[m.from].send(ch_change{colour_, before});
    mall_.send(ch_meet{colour_, index_});
  }
  void on(ch_change& c) {
    if (c.c != complement(colour_, c.partner)) ++bad_;
    colour_ = c.c;
    ++meetings_;
    mall_.send(ch_meet{colour_, index_});
  }
  void on(ch_exit&) {
    colour_ = colour::faded;
    mall_.send(ch_count{meetings_, bad_});
    quit();
  }
  std::uint32_t index_;
  colour colour_;
  ref<ch_mall> mall_;
  chameneos_state<actor_ref>* st_;
  std::uint64_t meetings_ = 0;
  std::uint64_t bad_ = 0;
};

// ---------------------------------------------------------------------------------------------
// loaded-latency: a client on a thread of its own (a detached actor that polls the clock by
// sending itself a tick) sends requests to a server actor on the workers, first as fast as a
// window of outstanding requests allows (the saturation rate), then paced at a fixed rate.

struct ll_req {
  std::uint64_t n;
};
struct ll_tick {};

struct ll_server : actor<ll_server, ll_req, stop_msg> {
  std::uint64_t on(ll_req& r) { return r.n + 1; }
  void on(stop_msg&) { quit(); }
};

/// No response in this long is a lost message, not a slow one.
constexpr std::chrono::seconds request_timeout{60};

struct ll_client : actor<ll_client, go_msg, ll_tick> {
  ll_client(ref<ll_server> server, loaded_phase* phase, int cpu)
      : server_(std::move(server)), ph_(phase), cpu_(cpu) {}

  void on(go_msg&) {
    if (cpu_ >= 0) pin_this_thread(cpu_);  // its own thread: detached
    me_ = self();
    ph_->start_ns = now_ns();
    t0_ = sample_clock::now();
    pump();
  }
  void on(ll_tick&) { pump(); }

  void pump() {
    const std::uint64_t now = sample_clock::now();
    while (issued_ < ph_->requests) {
      std::uint64_t stamp = now;
      if (ph_->ticks_per_request > 0) {
        // The intended send time: latency counts from here, so a late send shows as latency
        // (no coordinated omission).
        stamp = intended_tick(t0_, issued_, ph_->ticks_per_request);
        if (stamp > now) break;
      } else if (outstanding_ >= ph_->window) {
        break;
      }
      issue(stamp);
    }
    if (issued_ < ph_->requests) me_.send(ll_tick{});
  }

  void issue(std::uint64_t stamp) {
    const std::uint64_t n = issued_++;
    ++outstanding_;
    request(server_, ll_req{n}, request_timeout)
        .then([this, stamp, n](std::uint64_t& v) { on_response(stamp, n, v); },
              [this](const jaegis::error& e) {
                ph_->error = e.to_string();
                end();
              });
  }

  void on_response(std::uint64_t stamp, std::uint64_t n, std::uint64_t value) {
    const std::uint64_t t = sample_clock::now();
    if (value != n + 1) ++ph_->bad_responses;
    ph_->samples[completed_] = t - stamp;
    --outstanding_;
    if (++completed_ == ph_->requests) end();
  }

  void end() {
    ph_->end_ns = now_ns();
    me_.reset();
    quit();
    ph_->line.finish();
  }

  ref<ll_server> server_;
  loaded_phase* ph_;
  int cpu_;
  ref<ll_client> me_;  ///< held while ticking, so a tick costs no reference count
  std::uint64_t t0_ = 0;
  std::uint64_t issued_ = 0;
  std::uint64_t completed_ = 0;
  std::uint32_t outstanding_ = 0;
};

void run_phase(actor_system& sys, const ref<ll_server>& server, loaded_phase& ph, int cpu) {
  ph.samples.assign(ph.requests, 0);
  auto client = sys.spawn_detached<ll_client>(server, &ph, cpu);
  client.send(go_msg{});
  ph.line.wait("loaded-latency (jaegis)");
  require(ph.error.empty(), "jaegis loaded-latency: a request failed: " + ph.error);
  require(ph.bad_responses == 0, "jaegis loaded-latency: wrong responses");
}

}  // namespace

figures pingpong(const run_params& p, bool cross) {
  pingpong_state st;
  st.warmup = p.n.pingpong_warmup;
  st.round_trips = cross ? p.n.cross_round_trips : p.n.pingpong_round_trips;
  st.samples.assign(st.round_trips, 0);
  {
    actor_system sys(make_config(p.workers));
    ref<pp_pong> pong = cross ? sys.spawn_detached<pp_pong>() : sys.spawn<pp_pong>();
    ref<pp_ping> ping = sys.spawn<pp_ping>(pong, &st);
    pong.send(actor_ref(ping));
    ping.send(go_msg{});
    st.line.wait(cross ? "pingpong-cross (jaegis)" : "pingpong (jaegis)");
    ping.reset();
    pong.reset();
    sys.await_all_actors_done();
  }
  require(st.out_of_order == 0, "jaegis pingpong: a ball came back out of order");
  figures f = latency_figures(st.samples, cross ? "jaegis pingpong-cross" : "jaegis pingpong",
                              "rtt", "ns", 1.0, true);
  f.push_back(
      {"rate", "rt/s",
       static_cast<double>(st.round_trips) * 1e9 / static_cast<double>(st.end_ns - st.start_ns)});
  f.push_back({"note:jaegis pool calls to the global allocator in the measured round trips",
               "calls", static_cast<double>(st.alloc_calls_end - st.alloc_calls_start)});
  return f;
}

figures pingpong_two_workers(const run_params& p, int cpu_a, int cpu_b) {
  pingpong_state st;
  st.warmup = p.n.pingpong_warmup;
  st.round_trips = p.n.cross_round_trips;
  st.samples.assign(st.round_trips, 0);
  actor_system_config config = make_config(1);
  config.executor.pin = false;
  {
    actor_system a(config);
    actor_system b(config);
    ref<pp_pong> pong = b.spawn<pp_pong>();
    ref<pp_ping> ping = a.spawn<pp_ping>(pong, &st);
    pong.send(pin_msg{cpu_b});
    ping.send(pin_msg{cpu_a});
    pong.send(actor_ref(ping));
    ping.send(go_msg{});
    st.line.wait("pingpong-cross, two single-worker systems (jaegis)");
    ping.reset();
    pong.reset();
    a.await_all_actors_done();
    b.await_all_actors_done();
  }
  require(st.out_of_order == 0, "jaegis pingpong (two systems): a ball came back out of order");
  figures f = latency_figures(st.samples, "jaegis pingpong-cross", "w2w_rtt", "ns", 1.0, true);
  f.push_back(
      {"w2w_rate", "rt/s",
       static_cast<double>(st.round_trips) * 1e9 / static_cast<double>(st.end_ns - st.start_ns)});
  return f;
}

figures mailbox(const run_params& p) {
  mailbox_state st;
  const std::uint32_t senders = p.n.mailbox_senders;
  st.expected = std::uint64_t{senders} * p.n.mailbox_per_sender;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    actor_system sys(make_config(p.workers));
    auto sink = sys.spawn<mb_sink>(senders, &st);
    std::vector<ref<mb_source>> sources;
    for (std::uint32_t i = 0; i < senders; ++i) {
      sources.push_back(sys.spawn<mb_source>(sink, i, p.n.mailbox_per_sender));
    }
    start = now_ns();
    for (auto& s : sources)
      s.send(more{});
    end = st.line.wait("mailbox (jaegis)");
    sources.clear();
    sink.reset();
    sys.await_all_actors_done();
  }
  require(st.received == st.expected, "jaegis mailbox: wrong message count");
  require(st.out_of_order == 0, "jaegis mailbox: per-sender order broken");
  return {
      {"rate", "msg/s", static_cast<double>(st.expected) * 1e9 / static_cast<double>(end - start)}};
}

figures creation(const run_params& p) {
  creation_state st;
  st.max_depth = p.n.creation_depth;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    actor_system sys(make_config(p.workers));
    start = now_ns();
    sys.spawn<cr_node>(ref<cr_node>(), 0, &st);  // the root needs no ref: its children hold it
    end = st.line.wait("creation (jaegis)");
    sys.await_all_actors_done();
  }
  const std::uint64_t expected = (std::uint64_t{1} << (p.n.creation_depth + 1)) - 1;
  require(st.nodes == expected, "jaegis creation: the tree reported " + std::to_string(st.nodes) +
                                    " actors, expected " + std::to_string(expected));
  return {
      {"rate", "actors/s", static_cast<double>(expected) * 1e9 / static_cast<double>(end - start)}};
}

double memory_per_actor(std::size_t workers, std::uint64_t actors) {
  idle_started.store(0, std::memory_order_relaxed);  // relaxed: no actor runs yet
  actor_system sys(make_config(workers));
  std::vector<ref<idle_actor>> all(actors);  // touched now, so that it is part of the baseline
  const std::uint64_t before = resident_bytes();
  for (std::uint64_t i = 0; i < actors; i += memory_batch) {
    const std::uint64_t end = std::min(actors, i + memory_batch);
    for (std::uint64_t k = i; k < end; ++k)
      all[k] = sys.spawn<idle_actor>();
    // relaxed: a progress poll (see idle_actor).
    while (idle_started.load(std::memory_order_relaxed) < end)
      std::this_thread::yield();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let workers finish their runs
  const std::uint64_t after = resident_bytes();
  require(sys.running_actors() == actors, "jaegis memory: not every actor is alive");
  all.clear();
  sys.await_all_actors_done();
  return static_cast<double>(after - before) / static_cast<double>(actors);
}

figures ring(const run_params& p) {
  ring_state st;
  const std::uint32_t n = p.n.ring_actors;
  st.received.assign(n, 0);
  st.lap = p.n.ring_hops - n;  // the token's count when it is back at the first actor
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    actor_system sys(make_config(p.workers));
    std::vector<ref<rg_node>> nodes;
    for (std::uint32_t i = 0; i < n; ++i)
      nodes.push_back(sys.spawn<rg_node>(i, &st));
    for (std::uint32_t i = 0; i < n; ++i)
      nodes[i].send(actor_ref(nodes[(i + 1) % n]));
    start = now_ns();
    nodes[0].send(token{p.n.ring_hops});
    end = st.line.wait("ring (jaegis)");
    for (auto& node : nodes)
      node.send(stop_msg{});
    nodes.clear();
    sys.await_all_actors_done();
  }
  std::uint64_t total = 0;
  for (const std::uint64_t r : st.received)
    total += r;
  // hops sends plus the first delivery from outside
  require(total == p.n.ring_hops + 1, "jaegis ring: wrong number of token deliveries");
  return {{"rate", "hops/s",
           static_cast<double>(p.n.ring_hops) * 1e9 / static_cast<double>(end - start)},
          {"note:jaegis pool calls to the global allocator after the first lap", "calls",
           static_cast<double>(st.alloc_calls_end - st.alloc_calls_start)}};
}

figures fanout(const run_params& p) {
  fanout_state<actor_ref> st;
  const std::uint32_t n = p.n.fanout_workers;
  st.rounds = p.n.fanout_rounds;
  st.round_ticks.assign(st.rounds, 0);
  st.handled.assign(n, 0);
  std::uint64_t end = 0;
  {
    actor_system sys(make_config(p.workers));
    auto coord = sys.spawn<fo_coord>(&st);
    for (std::uint32_t i = 0; i < n; ++i)
      st.workers.push_back(sys.spawn<fo_worker>(coord, i, &st));
    coord.send(go_msg{});
    end = st.line.wait("fanout (jaegis)");
    coord.reset();
    sys.await_all_actors_done();
    st.workers.clear();
  }
  std::uint64_t total = 0;
  for (const std::uint64_t h : st.handled)
    total += h;
  require(st.stray == 0, "jaegis fanout: a result of another round arrived");
  require(total == std::uint64_t{n} * st.rounds, "jaegis fanout: wrong number of work items");
  figures f = latency_figures(st.round_ticks, "jaegis fanout", "round", "us", 1e3, false);
  f.push_back({"rate", "rounds/s",
               static_cast<double>(st.rounds) * 1e9 / static_cast<double>(end - st.start_ns)});
  return f;
}

figures big(const run_params& p) {
  big_state<actor_ref> st;
  const std::uint32_t n = p.n.big_actors;
  st.pings = p.n.big_pings;
  st.pings_received.assign(n, 0);
  st.pongs_received.assign(n, 0);
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    actor_system sys(make_config(p.workers));
    for (std::uint32_t i = 0; i < n; ++i)
      st.peers.push_back(sys.spawn<bg_actor>(i, &st));
    start = now_ns();
    for (const actor_ref& a : st.peers)
      a.send(go_msg{});
    end = st.line.wait("big (jaegis)");
    for (const actor_ref& a : st.peers)
      a.send(stop_msg{});
    sys.await_all_actors_done();
    st.peers.clear();
  }
  std::uint64_t pings = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    pings += st.pings_received[i];
    require(st.pongs_received[i] == st.pings, "jaegis big: an actor missed a pong");
  }
  require(pings == std::uint64_t{n} * st.pings, "jaegis big: wrong number of pings");
  const double messages = 2.0 * static_cast<double>(pings);
  return {{"rate", "msg/s", messages * 1e9 / static_cast<double>(end - start)}};
}

figures chameneos(const run_params& p) {
  chameneos_state<actor_ref> st;
  st.meetings = p.n.chameneos_meetings;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    actor_system sys(make_config(p.workers));
    auto mall = sys.spawn<ch_mall>(&st);
    for (std::uint32_t i = 0; i < p.n.chameneos_creatures; ++i) {
      st.creatures.push_back(sys.spawn<ch_creature>(i, static_cast<colour>(i % 3), mall, &st));
    }
    start = now_ns();
    for (const actor_ref& c : st.creatures)
      c.send(go_msg{});
    end = st.line.wait("chameneos (jaegis)");
    mall.reset();
    sys.await_all_actors_done();
    st.creatures.clear();
  }
  require(st.bad_colours == 0, "jaegis chameneos: a change message carried the wrong colour");
  require(st.sum == 2 * st.meetings, "jaegis chameneos: creatures counted " +
                                         std::to_string(st.sum) + " meetings, expected " +
                                         std::to_string(2 * st.meetings));
  return {{"rate", "meetings/s",
           static_cast<double>(st.meetings) * 1e9 / static_cast<double>(end - start)}};
}

figures loaded_latency(const run_params& p) {
  actor_system sys(make_config(p.workers));
  auto server = sys.spawn<ll_server>();
  figures f = measure_loaded_latency(p.n, "jaegis loaded-latency", [&](loaded_phase& ph) {
    run_phase(sys, server, ph, p.client_cpu);
  });
  server.send(stop_msg{});
  server.reset();
  sys.await_all_actors_done();
  return f;
}

}  // namespace jaegis::bench::vs::jaegis_side
