// Built twice: as is (must compile), and with JAEGIS_SEND_WRONG_TYPE or JAEGIS_REQUEST_WRONG_TYPE
// (must fail with "does not accept this message type"). See tests/framework/actors.cmake.
#include <jaegis/framework/actor_system.hpp>

struct ping {};
struct unrelated {};

struct ponger : jaegis::actor<ponger, ping> {
  void on(ping&) {}
};

struct asker : jaegis::actor<asker, ping> {
  explicit asker(jaegis::ref<ponger> p) : peer(std::move(p)) {}
  void on(ping&) {
#ifdef JAEGIS_REQUEST_WRONG_TYPE
    request(peer, unrelated{}, std::chrono::seconds(1)).then([](auto&){}, [](auto&){});
#else
    request(peer, ping{}, std::chrono::seconds(1)).then([](jaegis::unit_t&) {}, [](auto&) {});
#endif
  }
  jaegis::ref<ponger> peer;
};

int main() {
  jaegis::actor_system system;
  auto p = system.spawn<ponger>();
  p.send(ping{});
#ifdef JAEGIS_SEND_WRONG_TYPE
  p.send(unrelated{});
#endif
  auto a = system.spawn<asker>(p);
  a.send(ping{});
  return 0;
}
