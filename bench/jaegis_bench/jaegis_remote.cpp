// The JAEGIS side of the remote workloads (remote.hpp), on jaegis::remote_node over its default
// TCP carrier: the peer publishes its actor and listens on 127.0.0.1 (port 0), the parent
// connects, looks the actor up and talks to it through the ref it gets, as to a local actor.
// The actors and the traffic are shared with the shm workloads (jaegis_shm.cpp), which only
// change the carrier (jaegis_link.hpp).

#include <array>
#include <jaegis/jaegis.hpp>
#include <jaegis/transports/remote_node.hpp>
#include <string>
#include <thread>

#include "jaegis_link.hpp"
#include "remote.hpp"
#include "round_state.hpp"

namespace jaegis::bench::vs::jaegis_side {

/// remote-pingpong's message: a sequence number and a tag, remote_ping_bytes on the wire.
struct rping {
  std::uint64_t seq = 0;
  std::uint64_t tag = 0;
};
struct rpong {
  std::uint64_t seq = 0;
};
/// remote-throughput's payload: a sequence number and filler.
struct rpayload {
  std::uint64_t seq = 0;
  std::array<char, remote_payload_bytes - sizeof(std::uint64_t)> filler{};
};
struct rack {
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;
};
static_assert(sizeof(rping) == remote_ping_bytes && sizeof(rpayload) == remote_payload_bytes);

}  // namespace jaegis::bench::vs::jaegis_side

JAEGIS_REMOTE_TYPE(jaegis::bench::vs::jaegis_side::rping, "jaegis.bench.rping")
JAEGIS_REMOTE_TYPE(jaegis::bench::vs::jaegis_side::rpong, "jaegis.bench.rpong")
JAEGIS_REMOTE_TYPE(jaegis::bench::vs::jaegis_side::rpayload, "jaegis.bench.rpayload")
JAEGIS_REMOTE_TYPE(jaegis::bench::vs::jaegis_side::rack, "jaegis.bench.rack")

namespace jaegis::bench::vs::jaegis_side {
namespace {

using jaegis::actor;
using jaegis::actor_system;
using jaegis::actor_system_config;
using jaegis::ref;
using jaegis::remote_node;

actor_system_config system_config(std::size_t workers) {
  actor_system_config config = actor_system_config::from_env(actor_system_config{});
  config.executor.workers = workers;
  return config;
}

/// Loopback only: no secret needed. Quiet: a peer killed at the end of a round is no news.
jaegis::remote_node_config node_config() {
  jaegis::remote_node_config config;
  config.log = [](std::string_view) {};
  return config;
}

struct go_msg {};
struct more_msg {};

// ---------------------------------------------------------------------------------------------
// remote-pingpong

struct rp_pong : actor<rp_pong, rping> {
  rpong on(rping& p) { return rpong{p.seq}; }
};

struct rp_ping : actor<rp_ping, go_msg> {
  rp_ping(ref<rp_pong> pong, pingpong_state* st, const char* who)
      : pong_(std::move(pong)), st_(st), who_(who) {}
  void on(go_msg&) {
    last_ = sample_clock::now();
    if (st_->warmup == 0) st_->start_ns = now_ns();
    next();
  }

 private:
  void next() {
    request(pong_, rping{done_, 0x6a6165676973}, std::chrono::seconds(60))
        .then([this](rpong& r) { on_reply(r.seq); },
              [this](const jaegis::error& e) {
                require(false, std::string(who_) + ": request failed: " + e.to_string());
              });
  }
  void on_reply(std::uint64_t seq) {
    const std::uint64_t t = sample_clock::now();
    if (seq != done_) ++st_->out_of_order;
    if (done_ >= st_->warmup) st_->samples[done_ - st_->warmup] = t - last_;
    last_ = t;
    ++done_;
    if (done_ == st_->warmup) st_->start_ns = now_ns();
    if (done_ == st_->warmup + st_->round_trips) {
      st_->end_ns = now_ns();
      pong_.reset();
      quit();
      st_->line.finish();
      return;
    }
    next();
  }

  ref<rp_pong> pong_;
  pingpong_state* st_;
  const char* who_;
  std::uint64_t done_ = 0;
  std::uint64_t last_ = 0;
};

// ---------------------------------------------------------------------------------------------
// remote-throughput

struct throughput_state {
  std::uint64_t messages = 0;
  std::uint64_t acked = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t span_ns = 0;
  finish_line line;
};

struct rt_sink : actor<rt_sink, rpayload> {
  explicit rt_sink(std::uint64_t expected) : expected_(expected) {}
  void on(rpayload& x) {
    if (x.seq != received_) ++out_of_order_;
    if (++received_ == expected_) reply(rack{received_, out_of_order_});  // to the remote sender
  }

 private:
  std::uint64_t expected_;
  std::uint64_t received_ = 0;
  std::uint64_t out_of_order_ = 0;
};

struct rt_source : actor<rt_source, go_msg, more_msg, rack> {
  rt_source(ref<rt_sink> sink, throughput_state* st) : sink_(std::move(sink)), st_(st) {
    payload_.filler.fill('x');
  }
  void on(go_msg&) {
    start_ = now_ns();
    send_chunk();
  }
  void on(more_msg&) { send_chunk(); }
  void on(rack& a) {
    st_->span_ns = now_ns() - start_;
    st_->acked = a.received;
    st_->out_of_order = a.out_of_order;
    sink_.reset();
    quit();
    st_->line.finish();
  }

 private:
  void send_chunk() {
    const std::uint64_t end = std::min(st_->messages, sent_ + remote_send_chunk);
    for (; sent_ < end; ++sent_) {
      payload_.seq = sent_;
      sink_.send(payload_);
    }
    if (sent_ < st_->messages) self().send(more_msg{});
  }

  ref<rt_sink> sink_;
  throughput_state* st_;
  rpayload payload_;
  std::uint64_t sent_ = 0;
  std::uint64_t start_ = 0;
};

/// The peer's end of service: the parent kills the process (peer_process::stop).
[[noreturn]] void serve_forever() {
  for (;;)
    std::this_thread::sleep_for(std::chrono::hours(1));
}

template <class A>
ref<A> look_up(const link& l, remote_node& node, const peer_process& peer, const char* name) {
  try {
    const jaegis::node_info info = l.connect(node, peer);
    return node.lookup<A>(info, name, std::chrono::seconds(10));
  } catch (const std::exception& e) {
    require(false, std::string("jaegis: cannot reach the peer's ") + name + ": " + e.what());
  }
  return {};
}

std::uint16_t tcp_listen(remote_node& node, const peer_args&) {
  return node.listen("127.0.0.1", 0);
}

jaegis::node_info tcp_connect(remote_node& node, const peer_process& peer) {
  return node.connect("127.0.0.1", peer.port(), std::chrono::seconds(10));
}

constexpr link tcp_pingpong{"jaegis remote-pingpong", tcp_listen, tcp_connect};
constexpr link tcp_throughput{"jaegis remote-throughput", tcp_listen, tcp_connect};

}  // namespace

bool remote_built() {
  return true;
}

figures pingpong_over(const link& l, const run_params& p, const peer_process& peer) {
  pingpong_state st;
  st.warmup = p.n.remote_warmup;
  st.round_trips = p.n.remote_round_trips;
  st.samples.assign(st.round_trips, 0);
  {
    actor_system system(system_config(p.workers));
    remote_node node(system, node_config());
    auto pong = look_up<rp_pong>(l, node, peer, "pong");
    auto ping = system.spawn<rp_ping>(std::move(pong), &st, l.name);
    ping.send(go_msg{});
    st.line.wait(l.name, remote_round_limit);
  }
  require(st.out_of_order == 0,
          std::string(l.name) + ": " + std::to_string(st.out_of_order) + " replies out of order");
  return remote_pingpong_figures(st.samples, st.end_ns - st.start_ns, l.name);
}

figures throughput_over(const link& l, const run_params& p, const peer_process& peer) {
  throughput_state st;
  st.messages = p.n.remote_messages;
  {
    actor_system system(system_config(p.workers));
    remote_node node(system, node_config());
    node.add_type<rack>();  // the acknowledgement comes back untyped (to the sender's proxy)
    auto sink = look_up<rt_sink>(l, node, peer, "sink");
    auto source = system.spawn<rt_source>(std::move(sink), &st);
    source.send(go_msg{});
    st.line.wait(l.name, remote_round_limit);
  }
  require(st.acked == st.messages && st.out_of_order == 0,
          std::string(l.name) + ": the receiver got " + std::to_string(st.acked) + " of " +
              std::to_string(st.messages) + ", " + std::to_string(st.out_of_order) +
              " out of order");
  return remote_throughput_figures(st.messages, st.span_ns);
}

int serve_pingpong_over(const link& l, const peer_args& a) {
  actor_system system(system_config(a.workers));
  remote_node node(system, node_config());
  node.publish("pong", system.spawn<rp_pong>());
  a.report_port(l.listen(node, a));
  serve_forever();
}

int serve_throughput_over(const link& l, const peer_args& a) {
  actor_system system(system_config(a.workers));
  remote_node node(system, node_config());
  node.add_type<rack>();
  node.publish("sink", system.spawn<rt_sink>(a.n().remote_messages));
  a.report_port(l.listen(node, a));
  serve_forever();
}

figures remote_pingpong(const run_params& p, const peer_process& peer) {
  return pingpong_over(tcp_pingpong, p, peer);
}

figures remote_throughput(const run_params& p, const peer_process& peer) {
  return throughput_over(tcp_throughput, p, peer);
}

int serve_remote_pingpong(const peer_args& a) {
  return serve_pingpong_over(tcp_pingpong, a);
}

int serve_remote_throughput(const peer_args& a) {
  return serve_throughput_over(tcp_throughput, a);
}

}  // namespace jaegis::bench::vs::jaegis_side
