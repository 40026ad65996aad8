// The CAF 0.17 side of the remote workloads (remote.hpp), with libcaf_io: the peer publishes its
// actor (middleman().publish on 127.0.0.1, port 0), the parent gets a proxy of it
// (middleman().remote_actor) and talks to it as to a local actor. CAF's defaults otherwise: its
// BASP protocol, its multiplexer thread, TCP_NODELAY (CAF sets it on every socket it opens).

#include <algorithm>
#include <array>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "caf_common.hpp"
#include "remote.hpp"

namespace jaegis::bench::vs::caf_side {

/// remote-throughput's 64-byte payload: a sequence number and filler. CAF 0.17 serializes a
/// custom type through an inspect() overload and needs it announced in the config on both ends.
struct remote_payload {
  std::uint64_t seq = 0;
  std::array<char, remote_payload_bytes - sizeof(std::uint64_t)> filler{};
};
static_assert(sizeof(remote_payload) == remote_payload_bytes);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_payload& x) {
  return f(caf::meta::type_name("remote_payload"), x.seq, x.filler);
}

namespace {

using caf::actor;
using caf::actor_config;
using caf::behavior;
using caf::event_based_actor;

// The ping: an atom and a sequence number, the 16 bytes of remote_ping_bytes.
using rping_atom = caf::atom_constant<caf::atom("rping")>;
using rack_atom = caf::atom_constant<caf::atom("rack")>;

/// An actor system with `workers` scheduler threads and the io module (middleman).
struct caf_io_system {
  explicit caf_io_system(std::size_t workers) : sys(configure(cfg, workers)) {}
  static caf::actor_system_config& configure(caf::actor_system_config& c, std::size_t workers) {
    caf_system::configure(c, workers);
    c.load<caf::io::middleman>();
    c.add_message_type<remote_payload>("remote_payload");
    return c;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

/// The peer's end of service: the parent kills the process (peer_process::stop). The published
/// actor never quits, so the actor system is never destroyed: nothing to wait for.
[[noreturn]] void serve_forever() {
  for (;;)
    std::this_thread::sleep_for(std::chrono::hours(1));
}

/// Publishes `whom` on 127.0.0.1 and tells the parent the port; ends the program if it cannot.
void publish_and_report(caf::actor_system& sys, const actor& whom, const peer_args& a) {
  auto port = sys.middleman().publish(whom, 0, "127.0.0.1");
  if (!port) require(false, "caf peer: publish failed: " + sys.render(port.error()));
  a.report_port(*port);
}

actor connect_to(caf::actor_system& sys, const peer_process& peer) {
  auto remote = sys.middleman().remote_actor("127.0.0.1", peer.port());
  if (!remote) require(false, "caf: remote_actor failed: " + sys.render(remote.error()));
  return *remote;
}

// ---------------------------------------------------------------------------------------------
// remote-pingpong

class rp_pong : public event_based_actor {
 public:
  explicit rp_pong(actor_config& cfg) : event_based_actor(cfg) {}
  behavior make_behavior() override {
    return {
        [](rping_atom, std::uint64_t seq) { return seq; },
    };
  }
};

/// Sends one request at a time, the next when the reply arrives, as JAEGIS's requester does;
/// `caf::infinite`: CAF's cheapest request, no timeout armed.
class rp_ping : public event_based_actor {
 public:
  rp_ping(actor_config& cfg, actor pong, pingpong_state* st)
      : event_based_actor(cfg), pong_(std::move(pong)), st_(st) {}
  behavior make_behavior() override {
    return {
        [this](go_atom) {
          last_ = sample_clock::now();
          if (st_->warmup == 0) st_->start_ns = now_ns();
          next();
        },
    };
  }

 private:
  void next() {
    request(pong_, caf::infinite, rping_atom::value, done_)
        .then([this](std::uint64_t seq) { on_reply(seq); },
              [this](caf::error& e) {
                require(false, "caf remote-pingpong: request failed: " + system().render(e));
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
      pong_ = nullptr;
      quit();
      st_->line.finish();
      return;
    }
    next();
  }

  actor pong_;
  pingpong_state* st_;
  std::uint64_t done_ = 0;
  std::uint64_t last_ = 0;
};

// ---------------------------------------------------------------------------------------------
// remote-throughput

using more_atom = caf::atom_constant<caf::atom("more")>;

struct throughput_state {
  std::uint64_t messages = 0;
  std::uint64_t acked = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t start_ns = 0;
  finish_line line;
};

class rt_sink : public event_based_actor {
 public:
  rt_sink(actor_config& cfg, std::uint64_t expected)
      : event_based_actor(cfg), expected_(expected) {}
  behavior make_behavior() override {
    return {
        [this](const remote_payload& x) {
          if (x.seq != received_) ++out_of_order_;
          if (++received_ == expected_) {
            send(caf::actor_cast<actor>(current_sender()), rack_atom::value, received_,
                 out_of_order_);
          }
        },
    };
  }

 private:
  std::uint64_t expected_;
  std::uint64_t received_ = 0;
  std::uint64_t out_of_order_ = 0;
};

class rt_source : public event_based_actor {
 public:
  rt_source(actor_config& cfg, actor sink, throughput_state* st)
      : event_based_actor(cfg), sink_(std::move(sink)), st_(st) {
    payload_.filler.fill('x');
  }
  behavior make_behavior() override {
    return {
        [this](go_atom) {
          st_->start_ns = now_ns();
          send_chunk();
        },
        [this](more_atom) { send_chunk(); },
        [this](rack_atom, std::uint64_t received, std::uint64_t out_of_order) {
          const std::uint64_t end = now_ns();
          st_->acked = received;
          st_->out_of_order = out_of_order;
          st_->start_ns = end - st_->start_ns;  // the span, handed over in place of the start
          sink_ = nullptr;
          quit();
          st_->line.finish();
        },
    };
  }

 private:
  void send_chunk() {
    const std::uint64_t end = std::min(st_->messages, sent_ + remote_send_chunk);
    for (; sent_ < end; ++sent_) {
      payload_.seq = sent_;
      send(sink_, payload_);
    }
    if (sent_ < st_->messages) send(handle_of(this), more_atom::value);
  }

  actor sink_;
  throughput_state* st_;
  remote_payload payload_;
  std::uint64_t sent_ = 0;
};

}  // namespace

figures remote_pingpong(const run_params& p, const peer_process& peer) {
  pingpong_state st;
  st.warmup = p.n.remote_warmup;
  st.round_trips = p.n.remote_round_trips;
  st.samples.assign(st.round_trips, 0);
  {
    caf_io_system cs(p.workers);
    const actor pong = connect_to(cs.sys, peer);
    auto ping = cs.sys.spawn<rp_ping>(pong, &st);
    caf::anon_send(ping, go_atom::value);
    st.line.wait("caf remote-pingpong", remote_round_limit);
  }
  require(st.out_of_order == 0,
          "caf remote-pingpong: " + std::to_string(st.out_of_order) + " replies out of order");
  return remote_pingpong_figures(st.samples, st.end_ns - st.start_ns, "caf remote-pingpong");
}

figures remote_throughput(const run_params& p, const peer_process& peer) {
  throughput_state st;
  st.messages = p.n.remote_messages;
  {
    caf_io_system cs(p.workers);
    const actor sink = connect_to(cs.sys, peer);
    auto source = cs.sys.spawn<rt_source>(sink, &st);
    caf::anon_send(source, go_atom::value);
    st.line.wait("caf remote-throughput", remote_round_limit);
  }
  require(st.acked == st.messages && st.out_of_order == 0,
          "caf remote-throughput: the receiver got " + std::to_string(st.acked) + " of " +
              std::to_string(st.messages) + ", " + std::to_string(st.out_of_order) +
              " out of order");
  return remote_throughput_figures(st.messages, st.start_ns);
}

int serve_remote_pingpong(const peer_args& a) {
  caf_io_system cs(a.workers);
  publish_and_report(cs.sys, cs.sys.spawn<rp_pong>(), a);
  serve_forever();
}

int serve_remote_throughput(const peer_args& a) {
  caf_io_system cs(a.workers);
  publish_and_report(cs.sys, cs.sys.spawn<rt_sink>(a.n().remote_messages), a);
  serve_forever();
}

}  // namespace jaegis::bench::vs::caf_side
