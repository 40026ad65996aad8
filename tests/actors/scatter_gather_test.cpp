#include "jaegis/actors/scatter_gather.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "actors_test_support.hpp"

using namespace jaegis;
using namespace jaegis::actors;
using namespace jaegis::test;

namespace {

struct quote_request {
  int item = 0;
};

enum class behaviour { answer, late, fail };

/// Answers item * factor; a late one answers only after its gate opens (it runs detached), a
/// failing one throws.
struct bidder : actor<bidder, quote_request> {
  bidder(int f, behaviour b, gate* g) : factor(f), how(b), hold(g) {}
  int on(quote_request& q) {
    if (how == behaviour::fail) throw std::runtime_error("no stock");
    if (how == behaviour::late) hold->wait();
    return q.item * factor;
  }
  int factor;
  behaviour how;
  gate* hold;
};

using gatherer = scatter_gather<quote_request, int>;

std::vector<actor_ref> ids_of(const std::vector<gathered<int>::response>& responses) {
  std::vector<actor_ref> out;
  for (const auto& r : responses)
    out.push_back(r.worker);
  return out;
}

bool same_set(std::vector<actor_ref> a, std::vector<actor_ref> b) {
  auto by_id = [](const actor_ref& x, const actor_ref& y) { return x.id() < y.id(); };
  std::sort(a.begin(), a.end(), by_id);
  std::sort(b.begin(), b.end(), by_id);
  return a == b;
}

}  // namespace

TEST_CASE("scatter-gather collects every answer when all answer", "[scatter_gather]") {
  actor_system sys(quiet_config());
  std::vector<actor_ref> bidders;
  for (int f = 1; f <= 5; ++f)
    bidders.push_back(sys.spawn<bidder>(f, behaviour::answer, nullptr));
  auto sg = sys.spawn<gatherer>();
  // A deadline far away: the answer comes as soon as the last bidder answered, not at the
  // deadline (the test would take a minute otherwise).
  result<gathered<int>> r =
      ask<gathered<int>>(sys, sg, scatter<quote_request>(bidders, quote_request{10}, 60s), 120s);
  REQUIRE(r);
  CHECK(r->complete());
  REQUIRE(r->responses.size() == 5);
  CHECK(same_set(ids_of(r->responses), bidders));
  for (const auto& resp : r->responses) {
    const auto at = std::find(bidders.begin(), bidders.end(), resp.worker) - bidders.begin();
    CHECK(resp.value == 10 * static_cast<int>(at + 1));
  }
}

TEST_CASE("scatter-gather reports who missed the deadline and who failed", "[scatter_gather]") {
  gate g;
  actor_system sys(quiet_config());
  std::vector<actor_ref> on_time{sys.spawn<bidder>(1, behaviour::answer, nullptr),
                                 sys.spawn<bidder>(2, behaviour::answer, nullptr)};
  std::vector<actor_ref> late{sys.spawn_detached<bidder>(3, behaviour::late, &g)};
  std::vector<actor_ref> failing{sys.spawn<bidder>(4, behaviour::fail, nullptr)};
  std::vector<actor_ref> all{on_time[0], late[0], failing[0], on_time[1]};
  auto sg = sys.spawn<gatherer>();
  result<gathered<int>> r =
      ask<gathered<int>>(sys, sg, scatter<quote_request>(all, quote_request{7}, 1s));
  g.release();
  REQUIRE(r);
  CHECK_FALSE(r->complete());
  CHECK(same_set(ids_of(r->responses), on_time));
  CHECK(r->missed == late);
  REQUIRE(r->failed.size() == 1);
  CHECK(r->failed[0].worker == failing[0]);
  CHECK(r->failed[0].reason.code() == errc::unhandled_exception);
  CHECK(r->failed[0].reason.what() == "no stock");
}

TEST_CASE("scatter-gather with only late workers answers at the deadline", "[scatter_gather]") {
  gate g;
  actor_system sys(quiet_config());
  std::vector<actor_ref> late{sys.spawn_detached<bidder>(1, behaviour::late, &g),
                              sys.spawn_detached<bidder>(2, behaviour::late, &g)};
  auto sg = sys.spawn<gatherer>();
  // Two scatters at once on one aggregator: neither waits for the other.
  auto first = ask_later<gathered<int>>(sys, sg, scatter<quote_request>(late, {1}, 50ms));
  auto second = ask_later<gathered<int>>(sys, sg, scatter<quote_request>(late, {2}, 50ms));
  result<gathered<int>> a = first.future.get();
  result<gathered<int>> b = second.future.get();
  g.release();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->responses.empty());
  CHECK(same_set(a->missed, late));
  CHECK(same_set(b->missed, late));
}

TEST_CASE("scatter-gather to nobody answers at once, and bad input is refused",
          "[scatter_gather]") {
  actor_system sys(quiet_config());
  auto sg = sys.spawn<gatherer>();
  result<gathered<int>> r = ask<gathered<int>>(sys, sg, scatter<quote_request>({}, {1}, 60s));
  REQUIRE(r);
  CHECK(r->complete());
  CHECK(r->responses.empty());
  CHECK_THROWS_AS(scatter<quote_request>({actor_ref{}}, {1}, 1s), std::invalid_argument);
  CHECK_THROWS_AS(scatter<quote_request>({sg}, {1}, 0s), std::invalid_argument);
}
