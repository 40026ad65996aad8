// The CAF 0.17 side, second half: fanout, big, chameneos, loaded-latency. Each mirrors the
// JAEGIS actor of the same name in jaegis_side.cpp.

#include <string>
#include <vector>

#include "caf_common.hpp"

namespace jaegis::bench::vs::caf_side {
namespace {

using caf::actor;
using caf::actor_config;
using caf::behavior;
using caf::event_based_actor;

using work_atom = caf::atom_constant<caf::atom("work")>;
using result_atom = caf::atom_constant<caf::atom("result")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using pong_atom = caf::atom_constant<caf::atom("pong")>;
using meet_atom = caf::atom_constant<caf::atom("meet")>;
using change_atom = caf::atom_constant<caf::atom("change")>;
using fade_atom = caf::atom_constant<caf::atom("fade")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using req_atom = caf::atom_constant<caf::atom("req")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

// ---------------------------------------------------------------------------------------------
// fanout

class fo_coord : public event_based_actor {
 public:
  fo_coord(actor_config& cfg, fanout_state<actor>* st) : event_based_actor(cfg), st_(st) {}
  behavior make_behavior() override {
    return {
        [this](go_atom) {
          st_->start_ns = now_ns();
          scatter();
        },
        [this](result_atom, std::uint32_t round) {
          if (round != round_) ++st_->stray;
          if (++gathered_ < st_->workers.size()) return;
          st_->round_ticks[round_] = sample_clock::now() - round_start_;
          gathered_ = 0;
          if (++round_ == st_->rounds) {
            for (const actor& w : st_->workers)
              send(w, stop_atom::value);
            quit();
            st_->line.finish();
            return;
          }
          scatter();
        },
    };
  }

 private:
  void scatter() {
    round_start_ = sample_clock::now();
    for (const actor& w : st_->workers)
      send(w, work_atom::value, round_);
  }

  fanout_state<actor>* st_;
  std::uint32_t round_ = 0;
  std::size_t gathered_ = 0;
  std::uint64_t round_start_ = 0;
};

class fo_worker : public event_based_actor {
 public:
  fo_worker(actor_config& cfg, actor coord, std::uint32_t index, fanout_state<actor>* st)
      : event_based_actor(cfg), coord_(std::move(coord)), index_(index), st_(st) {}
  behavior make_behavior() override {
    return {
        [this](work_atom, std::uint32_t round) {
          ++handled_;
          send(coord_, result_atom::value, round);
        },
        [this](stop_atom) {
          st_->handled[index_] = handled_;
          coord_ = nullptr;
          quit();
        },
    };
  }

 private:
  actor coord_;
  std::uint32_t index_;
  fanout_state<actor>* st_;
  std::uint64_t handled_ = 0;
};

// ---------------------------------------------------------------------------------------------
// big

class bg_actor : public event_based_actor {
 public:
  bg_actor(actor_config& cfg, std::uint32_t index, big_state<actor>* st)
      : event_based_actor(cfg), index_(index), st_(st), rng_(index) {}
  behavior make_behavior() override {
    return {
        [this](go_atom) { send_ping(); },
        [this](ping_atom, std::uint32_t from) {
          ++pings_;
          send(st_->peers[from], pong_atom::value);
        },
        [this](pong_atom) {
          if (++pongs_ < st_->pings) {
            send_ping();
            return;
          }
          // acq_rel: as on the JAEGIS side (the last one sees every other increment).
          if (st_->finished.fetch_add(1, std::memory_order_acq_rel) + 1 == st_->peers.size()) {
            st_->line.finish();
          }
        },
        [this](stop_atom) {
          st_->pings_received[index_] = pings_;
          st_->pongs_received[index_] = pongs_;
          quit();
        },
    };
  }

 private:
  void send_ping() {
    const auto n = static_cast<std::uint32_t>(st_->peers.size());
    std::uint32_t to = rng_.below(n - 1);
    if (to >= index_) ++to;  // anyone but itself
    send(st_->peers[to], ping_atom::value, index_);
  }

  std::uint32_t index_;
  big_state<actor>* st_;
  rng rng_;
  std::uint64_t pings_ = 0;
  std::uint64_t pongs_ = 0;
};

// ---------------------------------------------------------------------------------------------
// chameneos (colours travel as their integer value)

class ch_mall : public event_based_actor {
 public:
  ch_mall(actor_config& cfg, chameneos_state<actor>* st)
      : event_based_actor(cfg), st_(st), left_(st->meetings) {}
  behavior make_behavior() override {
    return {
        [this](meet_atom, int c, std::uint32_t from) {
          if (left_ == 0) {
            send(st_->creatures[from], fade_atom::value);
          } else if (waiting_ < 0) {
            waiting_ = from;
          } else {
            --left_;
            send(st_->creatures[static_cast<std::uint32_t>(waiting_)], meet_atom::value, c, from);
            waiting_ = -1;
          }
        },
        [this](count_atom, std::uint64_t meetings, std::uint64_t bad) {
          sum_ += meetings;
          bad_ += bad;
          if (++faded_ == st_->creatures.size()) {
            st_->sum = sum_;
            st_->bad_colours = bad_;
            quit();
            st_->line.finish();
          }
        },
    };
  }

 private:
  chameneos_state<actor>* st_;
  std::uint64_t left_;
  std::int64_t waiting_ = -1;
  std::size_t faded_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t bad_ = 0;
};

class ch_creature : public event_based_actor {
 public:
  ch_creature(actor_config& cfg, std::uint32_t index, colour c, actor mall,
              chameneos_state<actor>* st)
      : event_based_actor(cfg), index_(index), colour_(c), mall_(std::move(mall)), st_(st) {}
  behavior make_behavior() override {
    return {
        [this](go_atom) { meet(); },
        [this](meet_atom, int other, std::uint32_t from) {
          const colour before = colour_;
          colour_ = complement(colour_, static_cast<colour>(other));
          ++meetings_;
          send(st_->creatures[from], change_atom::value, static_cast<int>(colour_),
               static_cast<int>(before));
          meet();
        },
        [this](change_atom, int c, int partner) {
          if (static_cast<colour>(c) != complement(colour_, static_cast<colour>(partner))) ++bad_;
          colour_ = static_cast<colour>(c);
          ++meetings_;
          meet();
        },
        [this](fade_atom) {
          colour_ = colour::faded;
          send(mall_, count_atom::value, meetings_, bad_);
          mall_ = nullptr;
          quit();
        },
    };
  }

 private:
  void meet() { send(mall_, meet_atom::value, static_cast<int>(colour_), index_); }

  std::uint32_t index_;
  colour colour_;
  actor mall_;
  chameneos_state<actor>* st_;
  std::uint64_t meetings_ = 0;
  std::uint64_t bad_ = 0;
};

// ---------------------------------------------------------------------------------------------
// loaded-latency: the client is a detached actor (a thread of its own) polling the clock with
// ticks to itself; requests use caf::infinite, CAF's cheapest request (no timeout is armed),
// where JAEGIS, whose requests always have one, arms a 60 s timeout.

class ll_server : public event_based_actor {
 public:
  explicit ll_server(actor_config& cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override {
    return {
        [](req_atom, std::uint64_t n) { return n + 1; },
        [this](stop_atom) { quit(); },
    };
  }
};

class ll_client : public event_based_actor {
 public:
  ll_client(actor_config& cfg, actor server, loaded_phase* phase, int cpu)
      : event_based_actor(cfg), server_(std::move(server)), ph_(phase), cpu_(cpu) {}
  behavior make_behavior() override {
    return {
        [this](go_atom) {
          if (cpu_ >= 0) pin_this_thread(cpu_);  // its own thread: detached
          me_ = handle_of(this);
          ph_->start_ns = now_ns();
          t0_ = sample_clock::now();
          pump();
        },
        [this](tick_atom) { pump(); },
    };
  }

 private:
  void pump() {
    const std::uint64_t now = sample_clock::now();
    while (issued_ < ph_->requests) {
      std::uint64_t stamp = now;
      if (ph_->ticks_per_request > 0) {
        stamp = intended_tick(t0_, issued_, ph_->ticks_per_request);
        if (stamp > now) break;
      } else if (outstanding_ >= ph_->window) {
        break;
      }
      issue(stamp);
    }
    if (issued_ < ph_->requests) send(me_, tick_atom::value);
  }

  void issue(std::uint64_t stamp) {
    const std::uint64_t n = issued_++;
    ++outstanding_;
    request(server_, caf::infinite, req_atom::value, n)
        .then([this, stamp, n](std::uint64_t v) { on_response(stamp, n, v); },
              [this](caf::error& e) {
                ph_->error = to_string(e);
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
    me_ = nullptr;
    server_ = nullptr;
    quit();
    ph_->line.finish();
  }

  actor server_;
  loaded_phase* ph_;
  int cpu_;
  actor me_;  ///< held while ticking, as on the JAEGIS side
  std::uint64_t t0_ = 0;
  std::uint64_t issued_ = 0;
  std::uint64_t completed_ = 0;
  std::uint32_t outstanding_ = 0;
};

void run_phase(caf::actor_system& sys, const actor& server, loaded_phase& ph, int cpu) {
  ph.samples.assign(ph.requests, 0);
  actor client = sys.spawn<ll_client, caf::detached>(server, &ph, cpu);
  caf::anon_send(client, go_atom::value);
  ph.line.wait("loaded-latency (caf)");
  require(ph.error.empty(), "caf loaded-latency: a request failed: " + ph.error);
  require(ph.bad_responses == 0, "caf loaded-latency: wrong responses");
}

}  // namespace

figures fanout(const run_params& p) {
  fanout_state<actor> st;
  const std::uint32_t n = p.n.fanout_workers;
  st.rounds = p.n.fanout_rounds;
  st.round_ticks.assign(st.rounds, 0);
  st.handled.assign(n, 0);
  std::uint64_t end = 0;
  {
    caf_system c(p.workers);
    actor coord = c.sys.spawn<fo_coord>(&st);
    for (std::uint32_t i = 0; i < n; ++i)
      st.workers.push_back(c.sys.spawn<fo_worker>(coord, i, &st));
    caf::anon_send(coord, go_atom::value);
    end = st.line.wait("fanout (caf)");
    c.sys.await_all_actors_done();
    st.workers.clear();
  }
  std::uint64_t total = 0;
  for (const std::uint64_t h : st.handled)
    total += h;
  require(st.stray == 0, "caf fanout: a result of another round arrived");
  require(total == std::uint64_t{n} * st.rounds, "caf fanout: wrong number of work items");
  figures f = latency_figures(st.round_ticks, "caf fanout", "round", "us", 1e3, false);
  f.push_back({"rate", "rounds/s",
               static_cast<double>(st.rounds) * 1e9 / static_cast<double>(end - st.start_ns)});
  return f;
}

figures big(const run_params& p) {
  big_state<actor> st;
  const std::uint32_t n = p.n.big_actors;
  st.pings = p.n.big_pings;
  st.pings_received.assign(n, 0);
  st.pongs_received.assign(n, 0);
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    caf_system c(p.workers);
    for (std::uint32_t i = 0; i < n; ++i)
      st.peers.push_back(c.sys.spawn<bg_actor>(i, &st));
    start = now_ns();
    for (const actor& a : st.peers)
      caf::anon_send(a, go_atom::value);
    end = st.line.wait("big (caf)");
    for (const actor& a : st.peers)
      caf::anon_send(a, stop_atom::value);
    c.sys.await_all_actors_done();
    st.peers.clear();
  }
  std::uint64_t pings = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    pings += st.pings_received[i];
    require(st.pongs_received[i] == st.pings, "caf big: an actor missed a pong");
  }
  require(pings == std::uint64_t{n} * st.pings, "caf big: wrong number of pings");
  const double messages = 2.0 * static_cast<double>(pings);
  return {{"rate", "msg/s", messages * 1e9 / static_cast<double>(end - start)}};
}

figures chameneos(const run_params& p) {
  chameneos_state<actor> st;
  st.meetings = p.n.chameneos_meetings;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    caf_system c(p.workers);
    actor mall = c.sys.spawn<ch_mall>(&st);
    for (std::uint32_t i = 0; i < p.n.chameneos_creatures; ++i) {
      st.creatures.push_back(c.sys.spawn<ch_creature>(i, static_cast<colour>(i % 3), mall, &st));
    }
    start = now_ns();
    for (const actor& cr : st.creatures)
      caf::anon_send(cr, go_atom::value);
    end = st.line.wait("chameneos (caf)");
    c.sys.await_all_actors_done();
    st.creatures.clear();
  }
  require(st.bad_colours == 0, "caf chameneos: a change message carried the wrong colour");
  require(st.sum == 2 * st.meetings, "caf chameneos: creatures counted " + std::to_string(st.sum) +
                                         " meetings, expected " + std::to_string(2 * st.meetings));
  return {{"rate", "meetings/s",
           static_cast<double>(st.meetings) * 1e9 / static_cast<double>(end - start)}};
}

figures loaded_latency(const run_params& p) {
  caf_system c(p.workers);
  actor server = c.sys.spawn<ll_server>();
  figures f = measure_loaded_latency(p.n, "caf loaded-latency", [&](loaded_phase& ph) {
    run_phase(c.sys, server, ph, p.client_cpu);
  });
  caf::anon_send(server, stop_atom::value);
  c.sys.await_all_actors_done();
  return f;
}

}  // namespace jaegis::bench::vs::caf_side
