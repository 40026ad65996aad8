// The floor of the shm workloads: what two processes get from shared memory with no framework.
// The peer creates a POSIX shared memory object holding two single-producer single-consumer
// rings (parent -> peer, peer -> parent) of 4 KiB payload slots; the parent maps it and
// removes its name at once. A writer fills a slot and publishes it by storing the slot's
// sequence number with release; the reader spins on that sequence number (acquire), copies the
// payload out and hands the slot back through its tail. Nobody ever sleeps or makes a system
// call while the traffic runs: the best this memory and these two cores can do.
//  - pingpong: 16 bytes out, 16 bytes back, one round trip at a time.
//  - throughput: the 64-byte messages, 64 to a slot (as the TCP floor streams them in 64 KiB
//    writes: the memory's limit, not a per-message design), checked in order by the peer, which
//    acknowledges the last one through the other ring.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "clock.hpp"
#include "harness.hpp"
#include "remote.hpp"

namespace jaegis::bench::vs {

std::string shm_rendezvous(long parent, std::uint16_t k, const char* kind) {
  const bool sock = std::string_view(kind) == "sock";
  std::string name = sock ? "/tmp/jaegis-bench-" : "/jaegis-bench-";
  name += std::to_string(parent);
  name += '-';
  name += std::to_string(k);
  if (sock) name += ".sock";
  return name;
}

namespace shm_floor {
namespace {

/// Messages of the throughput floor per slot.
constexpr std::size_t slot_messages = 64;
/// Slots per ring: 1 MiB per direction, as the JAEGIS carrier's default ring.
constexpr std::uint64_t ring_slots = 256;
/// The reader hands slots back every `tail_batch` slots: one shared line written per batch, not
/// per slot. Less than ring_slots, so that a full ring always has some handed back.
constexpr std::uint64_t tail_batch = 16;
static_assert(tail_batch < ring_slots);
/// Spins between looks at the clock and the closed flag (and a yield: on a loaded machine a
/// spinning reader must not keep its writer off the cpu for a whole time slice).
constexpr std::uint32_t spins_per_check = 1U << 16;

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "the rings' atomics are shared between processes: they must be lock-free");

struct alignas(64) slot {
  std::atomic<std::uint64_t> seq{0};  ///< position + 1 once the slot holds that position
  std::array<char, slot_messages * remote_payload_bytes>
      payload{};  ///< its first bytes share seq's line
};

struct ring {
  alignas(64) std::atomic<std::uint64_t> tail{0};  ///< positions the reader has consumed
  alignas(64) std::array<slot, ring_slots> slots{};
};

struct segment {
  alignas(64) std::atomic<std::uint32_t> closed{0};  ///< the parent is done: the peer ends
  ring to_peer;
  ring to_parent;
};

[[noreturn]] void failure(const std::string& what) {
  std::string text = "shm floor: ";
  text += what;
  text += ": ";
  text += std::strerror(errno);
  require(false, text);
  std::abort();  // not reached: require(false, ...) ends the program
}

/// MAP_POPULATE: the page faults of the first touch are no part of the traffic measured.
segment* map_segment(int fd) {
  void* p =
      mmap(nullptr, sizeof(segment), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) failure("mmap");
  close(fd);
  return static_cast<segment*>(p);
}

/// The peer: creates the object under the first free rendezvous number, reports the number.
segment* create_segment(const peer_args& a) {
  for (std::uint16_t k = 1; k <= 64; ++k) {
    const std::string name = shm_rendezvous(getppid(), k, "shm");
    const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;  // left by a run of a parent with this pid
    if (fd < 0) failure("shm_open");
    if (ftruncate(fd, sizeof(segment)) != 0) failure("ftruncate");
    segment* s = new (map_segment(fd)) segment();
    a.report_port(k);
    return s;
  }
  errno = EEXIST;
  failure("no free shared memory name");
}

/// The parent: maps the peer's object and removes its name (the mapping keeps the memory).
segment* open_segment(const peer_process& peer) {
  const std::string name = shm_rendezvous(getpid(), peer.port(), "shm");
  const int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) failure("shm_open (parent)");
  shm_unlink(name.c_str());
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<std::size_t>(st.st_size) != sizeof(segment)) {
    failure("the peer's segment has the wrong size");
  }
  return map_segment(fd);
}

/// The parent's end of a round: tells the peer to end, unmaps.
struct parent_segment {
  explicit parent_segment(const peer_process& peer) : s(open_segment(peer)) {}
  parent_segment(const parent_segment&) = delete;
  parent_segment& operator=(const parent_segment&) = delete;
  ~parent_segment() {
    // Release: nothing to publish with it, but it orders after every slot this side wrote.
    s->closed.store(1, std::memory_order_release);
    munmap(s, sizeof(segment));
  }
  segment* s;
};

class writer {
 public:
  explicit writer(ring& r) : r_(r) {}
  void put(const void* data, std::size_t size) {
    if (pos_ - tail_ >= ring_slots) {
      // Acquire: the reader's copies out of the slots it hands back happen before we reuse them.
      while (pos_ - (tail_ = r_.tail.load(std::memory_order_acquire)) >= ring_slots)
        cpu_relax();
    }
    slot& s = r_.slots[pos_ % ring_slots];
    std::memcpy(s.payload.data(), data, size);
    // Release: the payload above is visible to the reader that acquires this sequence number.
    s.seq.store(pos_ + 1, std::memory_order_release);
    ++pos_;
  }

 private:
  ring& r_;
  std::uint64_t pos_ = 0;
  std::uint64_t tail_ = 0;  ///< the reader's tail as last seen
};

class reader {
 public:
  reader(ring& r, const std::atomic<std::uint32_t>* closed) : r_(r), closed_(closed) {}
  /// Copies the next message out; false if the parent closed the segment meanwhile (peer only).
  bool get(void* data, std::size_t size) {
    slot& s = r_.slots[pos_ % ring_slots];
    const auto deadline = std::chrono::steady_clock::now() + remote_round_limit;
    std::uint32_t spins = 0;
    // Acquire: pairs with the writer's release, so the payload is complete.
    while (s.seq.load(std::memory_order_acquire) != pos_ + 1) {
      cpu_relax();
      if (++spins < spins_per_check) continue;
      spins = 0;
      // Relaxed: the flag carries no data, and the slot's acquire above is rechecked anyway.
      if (closed_ != nullptr && closed_->load(std::memory_order_relaxed) != 0) return false;
      if (closed_ == nullptr && std::chrono::steady_clock::now() > deadline) {
        errno = ETIMEDOUT;
        failure("no message from the peer within the round limit");
      }
      std::this_thread::yield();
    }
    std::memcpy(data, s.payload.data(), size);
    ++pos_;
    // Release: our copy above is done before the writer sees the slot free.
    if (pos_ % tail_batch == 0) r_.tail.store(pos_, std::memory_order_release);
    return true;
  }

 private:
  ring& r_;
  const std::atomic<std::uint32_t>* closed_;  ///< null in the parent
  std::uint64_t pos_ = 0;
};

/// Messages in the throughput floor's next slot when `left` remain (both ends compute it).
std::size_t batch_size(std::uint64_t left) {
  return static_cast<std::size_t>(std::min<std::uint64_t>(slot_messages, left));
}

struct throughput_ack {
  std::uint64_t received;
  std::uint64_t out_of_order;
};

/// The peer has served; it waits for the parent's close so as to exit only after it.
int wait_closed(const segment& s) {
  // Relaxed: only the flag itself matters here.
  while (s.closed.load(std::memory_order_relaxed) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return 0;
}

}  // namespace

figures pingpong(const run_params& p, const peer_process& peer) {
  parent_segment seg(peer);
  writer out(seg.s->to_peer);
  reader in(seg.s->to_parent, nullptr);
  return floor_pingpong(
      p,
      [&](floor_ping& m) {
        out.put(&m, sizeof m);
        in.get(&m, sizeof m);
      },
      "floor shm-pingpong");
}

figures throughput(const run_params& p, const peer_process& peer) {
  parent_segment seg(peer);
  writer out(seg.s->to_peer);
  reader in(seg.s->to_parent, nullptr);
  const std::uint64_t messages = p.n.remote_messages;
  std::vector<std::array<char, remote_payload_bytes>> batch(slot_messages);
  for (auto& m : batch)
    m.fill('x');
  const std::uint64_t start_ns = now_ns();
  for (std::uint64_t sent = 0; sent < messages;) {
    const std::size_t count = batch_size(messages - sent);
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint64_t seq = sent + k;
      std::memcpy(batch[k].data(), &seq, sizeof seq);
    }
    out.put(batch.data(), count * remote_payload_bytes);
    sent += count;
  }
  throughput_ack ack{};
  in.get(&ack, sizeof ack);
  const std::uint64_t span = now_ns() - start_ns;
  require(ack.received == messages && ack.out_of_order == 0,
          "shm floor: the peer received " + std::to_string(ack.received) + " of " +
              std::to_string(messages) + ", " + std::to_string(ack.out_of_order) + " out of order");
  return remote_throughput_figures(messages, span);
}

int serve_pingpong(const peer_args& a) {
  segment* s = create_segment(a);
  reader in(s->to_peer, &s->closed);
  writer out(s->to_parent);
  floor_ping m{};
  while (in.get(&m, sizeof m))
    out.put(&m, sizeof m);
  return 0;  // the parent closed the segment: the end of service
}

int serve_throughput(const peer_args& a) {
  segment* s = create_segment(a);
  reader in(s->to_peer, &s->closed);
  writer out(s->to_parent);
  const std::uint64_t messages = a.n().remote_messages;
  std::vector<std::array<char, remote_payload_bytes>> batch(slot_messages);
  throughput_ack ack{};
  while (ack.received < messages) {
    const std::size_t count = batch_size(messages - ack.received);
    if (!in.get(batch.data(), count * remote_payload_bytes)) return 1;  // the parent closed early
    for (std::size_t k = 0; k < count; ++k) {
      std::uint64_t seq = 0;
      std::memcpy(&seq, batch[k].data(), sizeof seq);
      if (seq != ack.received) ++ack.out_of_order;
      ++ack.received;
    }
  }
  out.put(&ack, sizeof ack);
  return wait_closed(*s);
}

}  // namespace shm_floor
}  // namespace jaegis::bench::vs
