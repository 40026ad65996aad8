#include "jaegis/actors/router.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "actors_test_support.hpp"
#include "jaegis/actors/smallest_mailbox_router.hpp"

using namespace jaegis;
using namespace jaegis::actors;
using namespace jaegis::test;

namespace {

struct job {
  int key = 0;
};

/// What the routees saw: per routee index, the keys and senders of the jobs they got.
struct journal {
  std::mutex mutex;
  std::map<int, std::vector<int>> keys;
  std::vector<actor_id> senders;
  std::atomic<int> total{0};

  void record(int routee, const job& j, actor_id sender) {
    std::lock_guard lock(mutex);
    keys[routee].push_back(j.key);
    senders.push_back(sender);
    total.fetch_add(1);
  }
  std::size_t count(int routee) {
    std::lock_guard lock(mutex);
    return keys[routee].size();
  }
};

struct routee : actor<routee, job> {
  routee(journal* j, int index) : log(j), me(index) {}
  int on(job& j) {
    log->record(me, j, current_sender().id());
    return me * 1000 + j.key;
  }
  journal* log;
  int me;
};

std::vector<actor_ref> spawn_routees(actor_system& sys, journal& log, int n) {
  std::vector<actor_ref> out;
  for (int i = 0; i < n; ++i)
    out.push_back(sys.spawn<routee>(&log, i));
  return out;
}

/// Sends `n` jobs with keys 0..n-1 through `to`, as itself (so the routees see it as sender).
struct client : actor<client, int> {
  explicit client(actor_ref to) : target(std::move(to)) {}
  void on(int& n) {
    for (int i = 0; i < n; ++i)
      send(target, job{i});
  }
  actor_ref target;
};

std::size_t routee_count(actor_system& sys, const actor_ref& router) {
  result<std::vector<actor_ref>> r = ask<std::vector<actor_ref>>(sys, router, get_routees{});
  REQUIRE(r);
  return r->size();
}

}  // namespace

TEST_CASE("round-robin gives each routee its turn", "[router]") {
  journal log;
  actor_system sys(quiet_config());
  auto r = sys.spawn<round_robin_router<job>>(routing::round_robin{}, spawn_routees(sys, log, 3));
  for (int i = 0; i < 300; ++i)
    r.send(job{i});
  REQUIRE(eventually([&] { return log.total.load() == 300; }));
  for (int i = 0; i < 3; ++i) {
    CHECK(log.count(i) == 100);
    // One sender, and each routee gets every third job: the order per routee is kept.
    std::lock_guard lock(log.mutex);
    CHECK(std::is_sorted(log.keys[i].begin(), log.keys[i].end()));
  }
}

TEST_CASE("a routed request is answered by the routee, and the routee sees the sender",
          "[router]") {
  journal log;
  actor_system sys(quiet_config());
  auto r = sys.spawn<round_robin_router<job>>(routing::round_robin{}, spawn_routees(sys, log, 2));
  result<int> a = ask<int>(sys, r, job{7});
  result<int> b = ask<int>(sys, r, job{8});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a.value() == 7);     // routee 0
  CHECK(b.value() == 1008);  // routee 1
  auto c = sys.spawn<client>(r);
  c.send(5);
  REQUIRE(eventually([&] { return log.total.load() == 7; }));
  std::lock_guard lock(log.mutex);
  CHECK(std::count(log.senders.begin(), log.senders.end(), c.id()) == 5);
}

TEST_CASE("random routing delivers every message to some routee", "[router]") {
  journal log;
  actor_system sys(quiet_config());
  auto r = sys.spawn<random_router<job>>(routing::random{42}, spawn_routees(sys, log, 4));
  for (int i = 0; i < 1000; ++i)
    r.send(job{i});
  REQUIRE(eventually([&] { return log.total.load() == 1000; }));
  std::set<int> seen;
  std::lock_guard lock(log.mutex);
  for (auto& [index, keys] : log.keys) {
    CHECK(!keys.empty());  // 1000 uniform draws over 4: an empty routee is a broken draw
    seen.insert(keys.begin(), keys.end());
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("broadcast copies every message to every routee", "[router]") {
  journal log;
  actor_system sys(quiet_config());
  auto r = sys.spawn<broadcast_router<job>>(routing::broadcast{}, spawn_routees(sys, log, 3));
  auto c = sys.spawn<client>(r);
  c.send(50);
  REQUIRE(eventually([&] { return log.total.load() == 150; }));
  for (int i = 0; i < 3; ++i)
    CHECK(log.count(i) == 50);
  {
    std::lock_guard lock(log.mutex);
    CHECK(std::all_of(log.senders.begin(), log.senders.end(),
                      [&](actor_id s) { return s == c.id(); }));
  }
  // A request cannot have three answers: the router answers it once the copies are out.
  result<unit_t> done = ask<unit_t>(sys, r, job{99});
  CHECK(done);
  REQUIRE(eventually([&] { return log.total.load() == 153; }));
}

TEST_CASE("the hash ring keeps keys in place and moves about 1/N when a member joins",
          "[router][hash_ring]") {
  hash_ring ring;
  for (actor_id m = 1; m <= 4; ++m)
    CHECK(ring.add(m * 7919));
  CHECK_FALSE(ring.add(7919));
  constexpr int keys = 20000;
  std::vector<actor_id> before(keys);
  std::map<actor_id, int> share;
  for (int k = 0; k < keys; ++k) {
    before[k] = ring.owner(std::hash<int>{}(k));
    ++share[before[k]];
    CHECK(ring.owner(std::hash<int>{}(k)) == before[k]);
  }
  for (auto& [member, n] : share)
    CHECK(n > keys / 4 / 2);  // no member starved
  ring.add(5 * 7919);
  int moved = 0;
  for (int k = 0; k < keys; ++k) {
    const actor_id now = ring.owner(std::hash<int>{}(k));
    if (now != before[k]) {
      ++moved;
      CHECK(now == 5 * 7919);  // keys only move to the newcomer
    }
  }
  // Ideal: 1/5 of the keys. 160 points per member keep it well inside [0.1, 0.3].
  CHECK(moved > keys / 10);
  CHECK(moved < keys * 3 / 10);
  ring.remove(5 * 7919);
  for (int k = 0; k < keys; ++k)
    CHECK(ring.owner(std::hash<int>{}(k)) == before[k]);
  CHECK_THROWS_AS(hash_ring(0), std::invalid_argument);
  CHECK_THROWS_AS(hash_ring().owner(1), std::logic_error);
}

TEST_CASE("consistent-hash routing sends a key to one routee and moves few keys on growth",
          "[router]") {
  journal log;
  auto key = [](const job& j) { return j.key; };
  actor_system sys(quiet_config());
  auto r = sys.spawn<consistent_hash_router<decltype(key), job>>(routing::consistent_hash{key},
                                                                 spawn_routees(sys, log, 4));
  constexpr int keys = 2000;
  auto owners = [&] {
    std::map<int, int> owner;  // key -> routee index
    std::lock_guard lock(log.mutex);
    for (auto& [index, seen] : log.keys) {
      for (int k : seen) {
        auto [it, fresh] = owner.emplace(k, index);
        CHECK((fresh || it->second == index));  // a key never reaches two routees
      }
    }
    return owner;
  };
  for (int round = 0; round < 2; ++round) {
    for (int k = 0; k < keys; ++k)
      r.send(job{k});
  }
  REQUIRE(eventually([&] { return log.total.load() == 2 * keys; }));
  std::map<int, int> before = owners();
  REQUIRE(before.size() == keys);

  {
    std::lock_guard lock(log.mutex);
    log.keys.clear();
    log.total = 0;
  }
  r.send(add_routee{sys.spawn<routee>(&log, 4)});
  for (int k = 0; k < keys; ++k)
    r.send(job{k});
  REQUIRE(eventually([&] { return log.total.load() == keys; }));
  std::map<int, int> after = owners();
  int moved = 0;
  for (auto& [k, index] : after) {
    if (index != before[k]) {
      ++moved;
      CHECK(index == 4);
    }
  }
  CHECK(moved > keys / 10);
  CHECK(moved < keys * 3 / 10);
}

TEST_CASE("a router without routees refuses requests with a clear error", "[router]") {
  actor_system sys(quiet_config());
  auto r = sys.spawn<round_robin_router<job>>();
  result<int> a = ask<int>(sys, r, job{1});
  REQUIRE_FALSE(a);
  CHECK(is(a.error_value(), reason::no_routee));
  r.send(job{2});  // a plain message is dropped and counted
  CHECK(routee_count(sys, r) == 0);
}

TEST_CASE("routees that stop are removed, and the others take the traffic", "[router]") {
  journal log;
  actor_system sys(quiet_config());
  std::vector<actor_ref> routees = spawn_routees(sys, log, 3);
  auto r = sys.spawn<round_robin_router<job>>(routing::round_robin{}, routees);
  REQUIRE(routee_count(sys, r) == 3);
  send_exit(routees[1], error(errc::killed));
  REQUIRE(eventually([&] { return routee_count(sys, r) == 2; }));
  for (int i = 0; i < 100; ++i)
    r.send(job{i});
  REQUIRE(eventually([&] { return log.total.load() == 100; }));
  CHECK(log.count(0) == 50);
  CHECK(log.count(2) == 50);
  r.send(remove_routee{routees[0]});
  REQUIRE(eventually([&] { return routee_count(sys, r) == 1; }));
}

namespace {
/// A routee that blocks on a gate for jobs with a negative key (so it runs detached).
struct slow_routee : actor<slow_routee, job> {
  slow_routee(journal* j, int index, gate* g, std::atomic<int>* b)
      : log(j), me(index), hold(g), blocked(b) {}
  int on(job& j) {
    if (j.key < 0) {
      blocked->store(me);  // seq_cst: the test polls it
      hold->wait();
    }
    log->record(me, j, 0);
    return me;
  }
  journal* log;
  int me;
  gate* hold;
  std::atomic<int>* blocked;  ///< which routee blocked on the gate
};
}  // namespace

TEST_CASE("smallest-mailbox routing avoids the routee with outstanding work", "[router]") {
  journal log;
  gate g;
  std::atomic<int> blocked{-1};
  actor_system sys(quiet_config());
  std::vector<actor_ref> routees{sys.spawn_detached<slow_routee>(&log, 0, &g, &blocked),
                                 sys.spawn_detached<slow_routee>(&log, 1, &g, &blocked)};
  auto r = sys.spawn<smallest_mailbox_router<slow_routee, job>>(routees);
  auto stuck = ask_later<int>(sys, r, job{-1});
  REQUIRE(eventually([&] { return blocked.load() >= 0; }));
  const int busy = blocked.load();
  const int idle = 1 - busy;
  // Each next job, asked after the previous one was answered, finds the blocked routee with one
  // outstanding job and the other with none: all go to the other.
  for (int i = 0; i < 10; ++i) {
    result<int> a = ask<int>(sys, r, job{i});
    REQUIRE(a);
    CHECK(a.value() == idle);
  }
  CHECK(log.count(busy) == 0);
  g.release();
  result<int> first = stuck.future.get();
  REQUIRE(first);
  CHECK(first.value() == busy);
  CHECK(log.count(busy) == 1);
  CHECK(log.count(idle) == 10);
}

TEST_CASE("smallest-mailbox routing drops dead routees and refuses without any", "[router]") {
  journal log;
  gate g;
  g.release();
  std::atomic<int> blocked{-1};
  actor_system sys(quiet_config());
  auto only = sys.spawn<slow_routee>(&log, 0, &g, &blocked);
  auto r = sys.spawn<smallest_mailbox_router<slow_routee, job>>(std::vector<actor_ref>{only});
  REQUIRE(ask<int>(sys, r, job{1}));
  send_exit(only, error(errc::killed));
  REQUIRE(eventually([&] { return routee_count(sys, r) == 0; }));
  result<int> a = ask<int>(sys, r, job{2});
  REQUIRE_FALSE(a);
  CHECK(is(a.error_value(), reason::no_routee));
}
