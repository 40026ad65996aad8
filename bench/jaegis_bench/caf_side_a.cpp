// The CAF 0.17 side, first half: pingpong, mailbox, creation, memory, ring. Each mirrors the
// JAEGIS actor of the same name in jaegis_side.cpp.

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "caf_common.hpp"

namespace jaegis::bench::vs::caf_side {
namespace {

using caf::actor;
using caf::actor_config;
using caf::behavior;
using caf::event_based_actor;

using ball_atom = caf::atom_constant<caf::atom("ball")>;
using item_atom = caf::atom_constant<caf::atom("item")>;
using more_atom = caf::atom_constant<caf::atom("more")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using poke_atom = caf::atom_constant<caf::atom("poke")>;
using token_atom = caf::atom_constant<caf::atom("token")>;

// ---------------------------------------------------------------------------------------------
// pingpong

class pp_pong : public event_based_actor {
 public:
  explicit pp_pong(actor_config& cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override {
    return {
        [this](peer_atom, const actor& peer) { ping_ = peer; },
        [this](ball_atom, std::uint64_t n) { send(ping_, ball_atom::value, n); },
        [this](stop_atom) {
          ping_ = nullptr;  // break the handle cycle with the pinger
          quit();
        },
    };
  }

 private:
  actor ping_;
};

class pp_ping : public event_based_actor {
 public:
  pp_ping(actor_config& cfg, actor pong, pingpong_state* st)
      : event_based_actor(cfg), pong_(std::move(pong)), st_(st) {}
  behavior make_behavior() override {
    return {
        [this](go_atom) {
          last_ = sample_clock::now();
          if (st_->warmup == 0) st_->start_ns = now_ns();
          send(pong_, ball_atom::value, std::uint64_t{0});
        },
        [this](ball_atom, std::uint64_t n) {
          const std::uint64_t t = sample_clock::now();
          if (n != done_) ++st_->out_of_order;
          if (done_ >= st_->warmup) st_->samples[done_ - st_->warmup] = t - last_;
          last_ = t;
          ++done_;
          if (done_ == st_->warmup) st_->start_ns = now_ns();
          if (done_ == st_->warmup + st_->round_trips) {
            st_->end_ns = now_ns();
            send(pong_, stop_atom::value);
            pong_ = nullptr;
            quit();
            st_->line.finish();
            return;
          }
          send(pong_, ball_atom::value, done_);
        },
    };
  }

 private:
  actor pong_;
  pingpong_state* st_;
  std::uint64_t done_ = 0;
  std::uint64_t last_ = 0;
};

// ---------------------------------------------------------------------------------------------
// mailbox

class mb_sink : public event_based_actor {
 public:
  mb_sink(actor_config& cfg, std::uint32_t senders, mailbox_state* st)
      : event_based_actor(cfg), next_(senders, 0), st_(st) {}
  behavior make_behavior() override {
    return {
        [this](item_atom, std::uint32_t sender, std::uint32_t seq) {
          if (seq != next_[sender]) ++out_of_order_;
          next_[sender] = seq + 1;
          if (++received_ == st_->expected) {
            st_->received = received_;
            st_->out_of_order = out_of_order_;
            quit();
            st_->line.finish();
          }
        },
    };
  }

 private:
  std::vector<std::uint32_t> next_;
  mailbox_state* st_;
  std::uint64_t received_ = 0;
  std::uint64_t out_of_order_ = 0;
};

class mb_source : public event_based_actor {
 public:
  mb_source(actor_config& cfg, actor to, std::uint32_t id, std::uint32_t total)
      : event_based_actor(cfg), to_(std::move(to)), id_(id), total_(total) {}
  behavior make_behavior() override {
    return {
        [this](more_atom) {
          const std::uint32_t end = std::min(total_, sent_ + mailbox_chunk);
          for (; sent_ < end; ++sent_)
            send(to_, item_atom::value, id_, sent_);
          if (sent_ < total_) {
            send(handle_of(this), more_atom::value);
          } else {
            to_ = nullptr;
            quit();
          }
        },
    };
  }

 private:
  actor to_;
  std::uint32_t id_, total_, sent_ = 0;
};

// ---------------------------------------------------------------------------------------------
// creation

class cr_node : public event_based_actor {
 public:
  cr_node(actor_config& cfg, actor parent, int depth, creation_state* st)
      : event_based_actor(cfg), parent_(std::move(parent)), depth_(depth), st_(st) {}
  behavior make_behavior() override {
    if (depth_ == st_->max_depth) {
      report(1);
      return {};
    }
    spawn<cr_node>(handle_of(this), depth_ + 1, st_);
    spawn<cr_node>(handle_of(this), depth_ + 1, st_);
    return {
        [this](done_atom, std::uint64_t nodes) {
          nodes_ += nodes;
          if (++reported_ == 2) report(nodes_ + 1);
        },
    };
  }

 private:
  void report(std::uint64_t nodes) {
    if (parent_) {
      send(parent_, done_atom::value, nodes);
      parent_ = nullptr;
    } else {
      st_->nodes = nodes;
      st_->line.finish();
    }
    quit();
  }

  actor parent_;
  int depth_;
  creation_state* st_;
  std::uint64_t nodes_ = 0;
  int reported_ = 0;
};

// ---------------------------------------------------------------------------------------------
// memory

std::atomic<std::uint64_t> idle_started{0};

class idle_actor : public event_based_actor {
 public:
  explicit idle_actor(actor_config& cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override {
    // relaxed: the main thread only polls the count; it reads no data the actors wrote.
    idle_started.fetch_add(1, std::memory_order_relaxed);
    return {
        [](poke_atom) {},
    };
  }
};

// ---------------------------------------------------------------------------------------------
// ring

class rg_node : public event_based_actor {
 public:
  rg_node(actor_config& cfg, std::uint32_t index, ring_state* st)
      : event_based_actor(cfg), index_(index), st_(st) {}
  behavior make_behavior() override {
    return {
        [this](peer_atom, const actor& next) { next_ = next; },
        [this](token_atom, std::uint64_t left) {
          ++received_;
          if (left == 0) {
            st_->line.finish();
            return;
          }
          send(next_, token_atom::value, left - 1);
        },
        [this](stop_atom) {
          st_->received[index_] = received_;
          next_ = nullptr;
          quit();
        },
    };
  }

 private:
  std::uint32_t index_;
  ring_state* st_;
  actor next_;
  std::uint64_t received_ = 0;
};

}  // namespace

figures pingpong(const run_params& p, bool cross) {
  pingpong_state st;
  st.warmup = p.n.pingpong_warmup;
  st.round_trips = cross ? p.n.cross_round_trips : p.n.pingpong_round_trips;
  st.samples.assign(st.round_trips, 0);
  {
    caf_system c(p.workers);
    actor pong = cross ? c.sys.spawn<pp_pong, caf::detached>() : c.sys.spawn<pp_pong>();
    actor ping = c.sys.spawn<pp_ping>(pong, &st);
    caf::anon_send(pong, peer_atom::value, ping);
    caf::anon_send(ping, go_atom::value);
    st.line.wait(cross ? "pingpong-cross (caf)" : "pingpong (caf)");
    c.sys.await_all_actors_done();
  }
  require(st.out_of_order == 0, "caf pingpong: a ball came back out of order");
  figures f = latency_figures(st.samples, cross ? "caf pingpong-cross" : "caf pingpong", "rtt",
                              "ns", 1.0, true);
  f.push_back(
      {"rate", "rt/s",
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
    caf_system c(p.workers);
    actor sink = c.sys.spawn<mb_sink>(senders, &st);
    std::vector<actor> sources;
    for (std::uint32_t i = 0; i < senders; ++i) {
      sources.push_back(c.sys.spawn<mb_source>(sink, i, p.n.mailbox_per_sender));
    }
    start = now_ns();
    for (const actor& s : sources)
      caf::anon_send(s, more_atom::value);
    end = st.line.wait("mailbox (caf)");
    c.sys.await_all_actors_done();
  }
  require(st.received == st.expected, "caf mailbox: wrong message count");
  require(st.out_of_order == 0, "caf mailbox: per-sender order broken");
  return {
      {"rate", "msg/s", static_cast<double>(st.expected) * 1e9 / static_cast<double>(end - start)}};
}

figures creation(const run_params& p) {
  creation_state st;
  st.max_depth = p.n.creation_depth;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    caf_system c(p.workers);
    start = now_ns();
    c.sys.spawn<cr_node>(actor{}, 0, &st);
    end = st.line.wait("creation (caf)");
    c.sys.await_all_actors_done();
  }
  const std::uint64_t expected = (std::uint64_t{1} << (p.n.creation_depth + 1)) - 1;
  require(st.nodes == expected, "caf creation: the tree reported " + std::to_string(st.nodes) +
                                    " actors, expected " + std::to_string(expected));
  return {
      {"rate", "actors/s", static_cast<double>(expected) * 1e9 / static_cast<double>(end - start)}};
}

double memory_per_actor(std::size_t workers, std::uint64_t actors) {
  idle_started.store(0, std::memory_order_relaxed);  // relaxed: no actor runs yet
  caf_system c(workers);
  std::vector<actor> all(actors);  // touched now, so that it is part of the baseline
  const std::uint64_t before = resident_bytes();
  for (std::uint64_t i = 0; i < actors; i += memory_batch) {
    const std::uint64_t end = std::min(actors, i + memory_batch);
    for (std::uint64_t k = i; k < end; ++k)
      all[k] = c.sys.spawn<idle_actor>();
    // relaxed: a progress poll (see idle_actor).
    while (idle_started.load(std::memory_order_relaxed) < end)
      std::this_thread::yield();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let workers finish their runs
  const std::uint64_t after = resident_bytes();
  require(c.sys.registry().running() >= actors, "caf memory: not every actor is alive");
  for (const actor& a : all)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  all.clear();
  c.sys.await_all_actors_done();
  return static_cast<double>(after - before) / static_cast<double>(actors);
}

figures ring(const run_params& p) {
  ring_state st;
  const std::uint32_t n = p.n.ring_actors;
  st.received.assign(n, 0);
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  {
    caf_system c(p.workers);
    std::vector<actor> nodes;
    for (std::uint32_t i = 0; i < n; ++i)
      nodes.push_back(c.sys.spawn<rg_node>(i, &st));
    for (std::uint32_t i = 0; i < n; ++i) {
      caf::anon_send(nodes[i], peer_atom::value, nodes[(i + 1) % n]);
    }
    start = now_ns();
    caf::anon_send(nodes[0], token_atom::value, p.n.ring_hops);
    end = st.line.wait("ring (caf)");
    for (const actor& node : nodes)
      caf::anon_send(node, stop_atom::value);
    nodes.clear();
    c.sys.await_all_actors_done();
  }
  std::uint64_t total = 0;
  for (const std::uint64_t r : st.received)
    total += r;
  require(total == p.n.ring_hops + 1, "caf ring: wrong number of token deliveries");
  return {{"rate", "hops/s",
           static_cast<double>(p.n.ring_hops) * 1e9 / static_cast<double>(end - start)}};
}

}  // namespace jaegis::bench::vs::caf_side
