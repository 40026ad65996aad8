#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "actors_test_support.hpp"
#include "jaegis/actors/topic_broker.hpp"

using namespace jaegis;
using namespace jaegis::actors;
using namespace jaegis::test;

namespace {

struct price {
  std::string symbol;
  int cents = 0;
};
struct quit_now {};

struct inbox {
  std::mutex mutex;
  std::vector<int> prices;
  std::vector<std::string> texts;
  std::vector<std::string> topics;
  std::atomic<int> total{0};
};

struct listener : actor<listener, published<price>, published<std::string>, quit_now> {
  explicit listener(inbox* b) : box(b) {}
  void on(published<price>& p) {
    std::lock_guard lock(box->mutex);
    box->prices.push_back(p.value.cents);
    box->topics.push_back(p.topic);
    box->total.fetch_add(1);
  }
  void on(published<std::string>& p) {
    std::lock_guard lock(box->mutex);
    box->texts.push_back(p.value);
    box->topics.push_back(p.topic);
    box->total.fetch_add(1);
  }
  void on(quit_now&) { quit(); }
  inbox* box;
};

std::size_t subscribers(actor_system& sys, const ref<topic_broker>& b, const auto& t) {
  result<std::size_t> n = ask<std::size_t>(sys, b, count_subscribers(t));
  REQUIRE(n);
  return n.value();
}

}  // namespace

TEST_CASE("every subscriber gets every message exactly once, in publication order", "[pubsub]") {
  inbox boxes[3];
  actor_system sys(quiet_config());
  auto broker = sys.spawn<topic_broker>();
  const topic<price> prices("prices");
  std::vector<ref<listener>> listeners;
  for (inbox& b : boxes) {
    listeners.push_back(sys.spawn<listener>(&b));
    subscribe(broker, prices, listeners.back());
  }
  subscribe(broker, prices, listeners[0]);  // a second subscription changes nothing
  for (int i = 0; i < 200; ++i)
    publish(broker, prices, price{"ACME", i});
  for (inbox& b : boxes) {
    REQUIRE(eventually([&] { return b.total.load() == 200; }));
  }
  std::this_thread::sleep_for(20ms);  // room for a duplicate to show up
  for (inbox& b : boxes) {
    std::lock_guard lock(b.mutex);
    REQUIRE(b.prices.size() == 200);
    for (int i = 0; i < 200; ++i)
      CHECK(b.prices[i] == i);
    CHECK(b.topics.front() == "prices");
  }
  CHECK(subscribers(sys, broker, prices) == 3);
}

TEST_CASE("topics are told apart by name and by payload type", "[pubsub]") {
  actor_system sys(quiet_config());
  auto broker = sys.spawn<topic_broker>();
  inbox a, b;
  auto la = sys.spawn<listener>(&a);
  auto lb = sys.spawn<listener>(&b);
  subscribe(broker, topic<std::string>("news"), la);
  subscribe(broker, topic<price>("news"), lb);
  publish(broker, topic<std::string>("news"), "hello");
  publish(broker, topic<price>("news"), price{"X", 5});
  publish(broker, topic<std::string>("nobody-listens"), "lost");  // fine: dropped
  REQUIRE(eventually([&] { return a.total.load() == 1 && b.total.load() == 1; }));
  std::lock_guard la_lock(a.mutex);
  std::lock_guard lb_lock(b.mutex);
  CHECK(a.texts == std::vector<std::string>{"hello"});
  CHECK(b.prices == std::vector<int>{5});
}

TEST_CASE("an unsubscribed actor gets nothing more", "[pubsub]") {
  actor_system sys(quiet_config());
  auto broker = sys.spawn<topic_broker>();
  const topic<price> t("t");
  inbox stay, leave;
  auto ls = sys.spawn<listener>(&stay);
  auto ll = sys.spawn<listener>(&leave);
  subscribe(broker, t, ls);
  subscribe(broker, t, ll);
  publish(broker, t, price{"A", 1});
  unsubscribe(broker, t, ll);  // from the same thread: takes effect between the two publishes
  unsubscribe(broker, t, ll);  // twice is harmless
  publish(broker, t, price{"A", 2});
  REQUIRE(eventually([&] { return stay.total.load() == 2; }));
  CHECK(subscribers(sys, broker, t) == 1);
  std::lock_guard lock(leave.mutex);
  CHECK(leave.prices == std::vector<int>{1});
}

TEST_CASE("subscribers that stop are dropped", "[pubsub]") {
  actor_system sys(quiet_config());
  auto broker = sys.spawn<topic_broker>();
  const topic<price> t("t");
  const topic<std::string> u("u");
  inbox live, dead;
  auto l1 = sys.spawn<listener>(&live);
  auto l2 = sys.spawn<listener>(&dead);
  subscribe(broker, t, l1);
  subscribe(broker, t, l2);
  subscribe(broker, u, l2);
  REQUIRE(subscribers(sys, broker, t) == 2);
  l2.send(quit_now{});
  REQUIRE(eventually([&] { return subscribers(sys, broker, t) == 1; }));
  CHECK(subscribers(sys, broker, u) == 0);
  publish(broker, t, price{"B", 7});
  REQUIRE(eventually([&] { return live.total.load() == 1; }));
}

TEST_CASE("pub/sub rejects bad input", "[pubsub]") {
  actor_system sys(quiet_config());
  auto broker = sys.spawn<topic_broker>();
  CHECK_THROWS_AS(topic<int>(""), std::invalid_argument);
  CHECK_THROWS_AS(subscribe(broker, topic<int>("x"), actor_ref{}), std::invalid_argument);
  CHECK_THROWS_AS(subscribe(ref<topic_broker>{}, topic<int>("x"), broker.untyped()),
                  std::invalid_argument);
}
