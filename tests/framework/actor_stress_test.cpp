#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "actor_test_support.hpp"
#include "jaegis/framework/pool.hpp"

using namespace jaegis;
using namespace jaegis::test;

namespace {

struct item {
  std::uint32_t sender;
  std::uint32_t seq;
};
struct more {};
struct done_msg {};

/// Checks per-sender FIFO order and counts every message exactly once.
struct sink : actor<sink, item> {
  sink(std::size_t senders, std::atomic<std::size_t>* received, std::atomic<std::size_t>* disorder)
      : next(senders, 0), count(received), bad(disorder) {}
  void on(item& m) {
    if (m.seq != next[m.sender]) bad->fetch_add(1);
    next[m.sender] = m.seq + 1;
    count->fetch_add(1, std::memory_order_relaxed);  // relaxed: read after the senders finish
  }
  std::vector<std::uint32_t> next;
  std::atomic<std::size_t>* count;
  std::atomic<std::size_t>* bad;
};

/// Sends `total` numbered items in chunks, continuing through a message to itself so that the
/// worker is shared with the sink.
struct source : actor<source, more> {
  source(ref<sink> s, std::uint32_t id, std::uint32_t n) : to(std::move(s)), me(id), total(n) {}
  void on(more&) {
    const std::uint32_t end = std::min(total, sent + 1000);
    for (; sent < end; ++sent)
      to.send(item{me, sent});
    if (sent < total) self().send(more{});
  }
  ref<sink> to;
  std::uint32_t me, total, sent = 0;
};

}  // namespace

TEST_CASE("8 senders x 10^6 messages arrive exactly once, in per-sender order", "[stress]") {
  const std::uint32_t per_sender = static_cast<std::uint32_t>(scaled(1'000'000));
  const std::uint32_t senders = 8;
  actor_system sys(quiet_config());
  std::atomic<std::size_t> received{0}, disorder{0};
  auto s = sys.spawn<sink>(senders, &received, &disorder);
  std::vector<ref<source>> sources;
  for (std::uint32_t i = 0; i < senders; ++i)
    sources.push_back(sys.spawn<source>(s, i, per_sender));
  for (auto& src : sources)
    src.send(more{});
  const std::size_t expected = std::size_t{senders} * per_sender;
  REQUIRE(eventually([&] { return received.load() >= expected; }, std::chrono::seconds(240)));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK(received.load() == expected);
  CHECK(disorder.load() == 0);
}

TEST_CASE("outside threads sending to one actor: exactly once, per-thread order", "[stress]") {
  const std::uint32_t per_sender = static_cast<std::uint32_t>(scaled(200'000));
  const std::uint32_t senders = 4;
  actor_system sys(quiet_config());
  std::atomic<std::size_t> received{0}, disorder{0};
  auto s = sys.spawn<sink>(senders, &received, &disorder);
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint32_t i = 0; i < per_sender; ++i)
        s.send(item{t, i});
    });
  }
  for (auto& t : threads)
    t.join();
  REQUIRE(eventually([&] { return received.load() == std::size_t{senders} * per_sender; }));
  CHECK(disorder.load() == 0);
}

TEST_CASE("2^20 actors spawned and stopped leave no cell and no block behind", "[stress][leak]") {
  struct leaf : actor<leaf, done_msg> {
    void on(done_msg&) { quit(); }
  };
  const std::size_t actors = std::size_t{1} << (scale_down == 1 ? 20 : 16);
  std::uint64_t blocks_before = 0;
  {
    actor_system sys(quiet_config());
    blocks_before = mem::stats().live_blocks;
    std::vector<ref<leaf>> all;
    all.reserve(actors);
    for (std::size_t i = 0; i < actors; ++i)
      all.push_back(sys.spawn<leaf>());
    CHECK(sys.live_cells() == actors);
    for (std::size_t i = 0; i < actors; i += 2)
      all[i].send(done_msg{});  // half quit
    all.clear();                // the other half become unreachable
    REQUIRE(eventually([&] { return sys.live_cells() == 0; }, std::chrono::seconds(240)));
    CHECK(sys.running_actors() == 0);
  }
  CHECK(mem::stats().live_blocks == blocks_before);
}

namespace {
struct grow {
  int depth;
};
struct grown {};
/// A fork tree: each node spawns two children holding refs to it, leaves report upward. The root
/// is spawned and its ref dropped at once, so it runs with no outside reference and lives only
/// through the references its own handler creates (self() given to its children).
struct tree_node : actor<tree_node, grow, grown> {
  tree_node(actor_ref parent, std::atomic<int>* d, std::atomic<std::size_t>* n)
      : up(std::move(parent)), done(d), nodes(n) {}
  void on(grow& g) {
    nodes->fetch_add(1, std::memory_order_relaxed);  // relaxed: read after the root reports
    if (g.depth == 0) return report();
    for (int i = 0; i < 2; ++i) {
      system().spawn<tree_node>(self(), done, nodes).send(grow{g.depth - 1});
    }
  }
  void on(grown&) {
    if (++reported == 2) report();
  }
  void report() {
    if (up) {
      up.send(grown{});
    } else {
      done->store(1);
    }
    quit();
  }
  actor_ref up;
  std::atomic<int>* done;
  std::atomic<std::size_t>* nodes;
  int reported = 0;
};
}  // namespace

TEST_CASE("an unreferenced root resurrected by its own handler completes a fork tree", "[stress]") {
  const int depth = scale_down == 1 ? 16 : 12;
  actor_system sys(quiet_config());
  std::atomic<int> done{0};
  std::atomic<std::size_t> nodes{0};
  sys.spawn<tree_node>(actor_ref{}, &done, &nodes).send(grow{depth});
  REQUIRE(eventually([&] { return done.load() == 1; }));
  CHECK(nodes.load() == (std::size_t{2} << depth) - 1);
  REQUIRE(eventually([&] { return sys.live_cells() == 0; }));
}

namespace {
struct question {
  int n;
};
/// Answers on a thread of its own, so that its answer races the asker's run.
struct answerer : actor<answerer, question> {
  int on(question& q) { return q.n; }
};
/// Nobody holds a reference to it: only its request's reply-to keeps it alive until the answer.
struct unreferenced_asker : actor<unreferenced_asker> {
  unreferenced_asker(actor_ref to, int n, std::atomic<int>* answered)
      : to_(std::move(to)), n_(n), answered_(answered) {}
  void on_start() override {
    request<int>(to_, question{n_}, std::chrono::seconds(60))
        .then(
            [this](int& v) {
              if (v == n_) answered_->fetch_add(1);
              quit();
            },
            [this](const error&) { quit(); });
  }
  actor_ref to_;
  int n_;
  std::atomic<int>* answered_;
};
}  // namespace

TEST_CASE("an actor kept alive only by its open request always gets its answer", "[stress]") {
  // Regression: the spawner's reference dropped to zero while the actor's own run took the
  // request's reference, and the spawner's late "last reference" handling freed the actor (or
  // marked it) although the answer was still owed to it. A scheduled run now holds a reference.
  actor_system sys(quiet_config());
  auto responder = sys.spawn_detached<answerer>();
  const int askers = static_cast<int>(scaled(100000));
  std::atomic<int> answered{0};
  for (int i = 0; i < askers; ++i) {
    sys.spawn<unreferenced_asker>(responder, i, &answered);  // the ref is dropped at once
    if (i % 64 == 63) {
      REQUIRE(eventually([&] { return answered.load() == i + 1; }));
    }
  }
  REQUIRE(eventually([&] { return answered.load() == askers; }));
  responder.reset();
  sys.await_all_actors_done();
  CHECK(sys.live_cells() == 0);
}
