#pragma once

// jaegis-bench's remote workloads: an actor in this process (process 1) talks to an actor in a
// peer process (process 2, see peer_process.hpp) over TCP on 127.0.0.1.
//
//  - remote-pingpong: request / reply of a 16-byte message (a sequence number and a tag), one
//    outstanding; the requester times each round trip with the sample clock and sends the next
//    request when the reply arrives. rtt_p50 / p99 / p99.9 (us), rate (round trips/s).
//    Floor: the same over a raw blocking TCP socket (TCP_NODELAY), 16 bytes each way.
//  - remote-throughput: one sender actor sends `remote_messages` messages of a 64-byte payload
//    (an 8-byte sequence number and 56 filler bytes) to one receiver actor, which checks the
//    sequence and, at the last message, acknowledges with its count; rate (msg/s) spans the
//    first send to the acknowledgement. Floor: the same bytes streamed over a raw TCP socket in
//    64 KiB writes (no per-message work at all: the wire's limit, not a framework's design).
//
// The shm workloads (issue 8) run the same traffic between the same two processes over shared
// memory, JAEGIS only (CAF has no shared-memory transport):
//  - shm-pingpong: remote-pingpong's round trips; JAEGIS over its shm carrier (impl jaegis),
//    JAEGIS over TCP (impl jaegis-tcp: remote-pingpong's JAEGIS side) and the floor: a raw
//    two-process ring in a shared mapping, one per direction, the reader spinning on each slot's
//    sequence number (shm_floor.cpp: the best this memory allows, no framework, no wake-ups).
//  - shm-throughput: remote-throughput's messages over the same three.
// The shm peer has no port: it names its rendezvous (a socket path, a shared memory object) after
// the parent's pid and the first free number k >= 1, and reports k instead (shm_rendezvous()).
//
// Each side has a parent half (runs the measured traffic, returns the figures) and a peer half
// (runs in process 2: builds its side, reports its port, serves until the parent stops it).
// Every figure comes from the parent; the peer reports what it checked in its replies.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "peer_process.hpp"
#include "workloads.hpp"

namespace jaegis::bench::vs {

/// Bytes of one remote-pingpong message on the floor (and the content of the actors' message).
inline constexpr std::size_t remote_ping_bytes = 16;
/// Bytes of one remote-throughput payload.
inline constexpr std::size_t remote_payload_bytes = 64;
/// Messages a throughput sender sends per run before it continues through a message to itself
/// (as mailbox's senders): the sender shares its worker with whatever else runs there.
inline constexpr std::uint32_t remote_send_chunk = 1000;
/// How long a parent waits for the end of one remote round before it reports a stall.
inline constexpr std::chrono::seconds remote_round_limit{300};

/// remote-pingpong's figures from per-round-trip samples (sample_clock ticks, sorted here) and
/// the span of the measured round trips: rtt_p50, rtt_p99, rtt_p99.9 (us), rate (round trips/s).
/// Every side uses this, so that the figures mean the same on all of them.
figures remote_pingpong_figures(std::vector<std::uint64_t>& ticks, std::uint64_t span_ns,
                                const char* who);
/// remote-throughput's figure: rate (msg/s).
inline figures remote_throughput_figures(std::uint64_t messages, std::uint64_t span_ns) {
  return {{"rate", "msg/s", static_cast<double>(messages) * 1e9 / static_cast<double>(span_ns)}};
}

// Parent halves take the round's parameters and the running peer (peer.port() on 127.0.0.1);
// peer halves take the peer's arguments and return the peer process's exit status.

/// The floors' ping-pong message: the sequence number and a tag, 16 bytes as the actors' message.
struct floor_ping {
  std::uint64_t seq;
  std::uint64_t tag;
};
static_assert(sizeof(floor_ping) == remote_ping_bytes);
inline constexpr std::uint64_t floor_ping_tag = 0x70696e67;  // "ping"

/// The floors' ping-pong, whatever carries it: `exchange(m)` sends m and reads the reply into
/// it. remote_warmup unmeasured round trips, then remote_round_trips timed one by one; every
/// reply must carry its request's number and the tag (`who` names the floor in the message).
template <class Exchange>
figures floor_pingpong(const run_params& p, Exchange&& exchange, const char* who) {
  const std::uint64_t warmup = p.n.remote_warmup;
  const std::uint64_t total = warmup + p.n.remote_round_trips;
  std::vector<std::uint64_t> samples(p.n.remote_round_trips);
  std::uint64_t bad_replies = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t last = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    if (i == warmup) {
      start_ns = now_ns();
      last = sample_clock::now();
    }
    floor_ping m{i, floor_ping_tag};
    exchange(m);
    if (m.seq != i || m.tag != floor_ping_tag) ++bad_replies;
    if (i >= warmup) {
      const std::uint64_t t = sample_clock::now();
      samples[i - warmup] = t - last;
      last = t;
    }
  }
  const std::uint64_t span = now_ns() - start_ns;
  require(bad_replies == 0, std::string(who) + ": " + std::to_string(bad_replies) + " replies bad");
  return remote_pingpong_figures(samples, span, who);
}

namespace remote_floor {
figures pingpong(const run_params& p, const peer_process& peer);
figures throughput(const run_params& p, const peer_process& peer);
int serve_pingpong(const peer_args& a);
int serve_throughput(const peer_args& a);
}  // namespace remote_floor

/// The name of an shm peer's rendezvous number `k` for parent process `parent`: kind "sock"
/// gives a socket path under /tmp, kind "shm" a POSIX shared memory object's name.
std::string shm_rendezvous(long parent, std::uint16_t k, const char* kind);

namespace shm_floor {
figures pingpong(const run_params& p, const peer_process& peer);
figures throughput(const run_params& p, const peer_process& peer);
int serve_pingpong(const peer_args& a);
int serve_throughput(const peer_args& a);
}  // namespace shm_floor

namespace caf_side {
figures remote_pingpong(const run_params& p, const peer_process& peer);
figures remote_throughput(const run_params& p, const peer_process& peer);
int serve_remote_pingpong(const peer_args& a);
int serve_remote_throughput(const peer_args& a);
}  // namespace caf_side

// ---------------------------------------------------------------------------------------------
// JAEGIS SIDE: TO BE IMPLEMENTED with the remoting API (bench/jaegis_bench/jaegis_remote.cpp).
// Until remote_built() returns true, main.cpp runs neither function and reports the JAEGIS side
// as not built (no JAEGIS figures, no ratio).
namespace jaegis_side {
/// Whether the functions below are implemented.
bool remote_built();
/// Parent: a requester actor sends sizes::remote_warmup + remote_round_trips requests to the
/// peer's published actor, one outstanding, each the 16-byte message of remote_ping_bytes; the
/// reply must carry the request's sequence number (require() otherwise). Returns
/// remote_pingpong_figures() of the measured round trips.
figures remote_pingpong(const run_params& p, const peer_process& peer);
/// Parent: a sender actor sends sizes::remote_messages payloads of remote_payload_bytes
/// (sequence numbers 0, 1, ...) to the peer's receiver, remote_send_chunk per run; the
/// receiver's acknowledgement carries its count and how many arrived out of order (require()
/// both exact). Returns remote_throughput_figures().
figures remote_throughput(const run_params& p, const peer_process& peer);
/// Peer: builds an actor system with a.workers workers, spawns the ponger (replies to each
/// request with its sequence number), makes it reachable on 127.0.0.1 on an ephemeral port,
/// calls a.report_port(port), then serves until the process is killed (never returns 0 early:
/// an exit with status 0 is taken as the end of service).
int serve_remote_pingpong(const peer_args& a);
/// Peer: as above with the receiver (counts, checks the sequence, acknowledges to the sender at
/// a.n().remote_messages).
int serve_remote_throughput(const peer_args& a);
/// The same two over the shm carrier (jaegis_shm.cpp): shm-pingpong's and shm-throughput's JAEGIS
/// side; the peer listens on shm_rendezvous(parent, k, "sock").
figures shm_pingpong(const run_params& p, const peer_process& peer);
figures shm_throughput(const run_params& p, const peer_process& peer);
int serve_shm_pingpong(const peer_args& a);
int serve_shm_throughput(const peer_args& a);
}  // namespace jaegis_side

}  // namespace jaegis::bench::vs
