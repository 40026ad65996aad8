#include <jaegis/jaegis.hpp>

#include <chrono>
#include <cstdio>

struct ping { int n; };
struct start { int rounds; };

// Answers every ping: the handler's return value is the response.
struct ponger : jaegis::actor<ponger, ping> {
  int on(ping& p) { return p.n + 1; }
};

// Plays `rounds` request/response round trips, awaiting each one in a coroutine.
struct pinger : jaegis::actor<pinger, start> {
  explicit pinger(jaegis::ref<ponger> peer) : peer_(std::move(peer)) {}

  jaegis::task<> on(start& s) {
    int n = 0;
    for (int i = 0; i < s.rounds; ++i) {
      jaegis::result<int> r = co_await request(peer_, ping{n}, std::chrono::seconds(1));
      if (!r) co_return quit(r.error_value());  // a timeout or a stopped peer, as a value
      n = r.value();
    }
    std::printf("pinger: %d round trips\n", n);
    quit();
  }

  jaegis::ref<ponger> peer_;
};

int main() {
  jaegis::actor_system system;  // one worker per cpu; JAEGIS_* variables override
  auto pinger_ref = system.spawn<pinger>(system.spawn<ponger>());
  pinger_ref.send(start{100000});
  system.await_all_actors_done();  // pinger quits; ponger, unreferenced, stops with it
}
