#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "jaegis/actors/restart_window.hpp"
#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"

namespace jaegis::actors {

/// Which children a failure restarts (Erlang/OTP's strategies).
enum class strategy {
  one_for_one,   ///< only the child that failed
  all_for_one,   ///< all children: the others are killed first
  rest_for_one,  ///< the child that failed and those after it in the spec list
};

/// When a child that stopped is restarted.
enum class restart {
  permanent,  ///< always (also after a normal stop)
  transient,  ///< only after a failure (a reason that is not normal)
  temporary,  ///< never
};

/// How to start one child: a name (unique among the supervisor's children) and a factory that
/// spawns it in the system and returns its ref.
struct child_spec {
  std::string name;
  std::function<actor_ref(actor_system&)> start;
  restart policy = restart::permanent;

  /// A spec whose factory is system.spawn<A>(args...) (the arguments are copied into it).
  template <class A, class... Args>
  static child_spec of(std::string name, restart policy, Args... args) {
    return child_spec{std::move(name),
                      [... args = std::move(args)](actor_system& system) -> actor_ref {
                        return system.spawn<A>(args...);
                      },
                      policy};
  }
};

struct supervisor_options {
  strategy how = strategy::one_for_one;
  /// Restart intensity: more than max_restarts restarts within `within` and the supervisor gives
  /// up (escalation). 3 in 5 s are OTP's defaults, and let a child that fails at once on every
  /// start be seen as broken within milliseconds.
  std::size_t max_restarts = 3;
  std::chrono::nanoseconds within = std::chrono::seconds(5);
  /// Bind each child's current ref to its name in the system registry (system.registry()
  /// .get(name)), so that others always reach the current incarnation.
  bool register_names = true;
};

/// A request to a supervisor: answered with the child's current ref (empty if the name is unknown
/// or the child is not running).
struct which_child {
  std::string name;
};

/// Starts children from specs, in order, and restarts them when they stop, per their `policy` and
/// the supervisor's `strategy`.
///
/// - It monitors its children (no links), so a failing child never stops the supervisor.
/// - A restart kills the siblings the strategy names (send_exit with errc::killed, in reverse spec
///   order) and starts them and the failed child again in spec order. It does not wait for the
///   killed ones to finish stopping: the new incarnations may start before the old ones' on_stop.
///   Children killed this way are restarted whatever their policy, except temporary ones.
/// - Restart intensity: each restart (one per failure, whatever the strategy restarts) counts;
///   one too many within the period and the supervisor kills all its children and stops itself
///   with reason is(err, reason::intensity_exceeded). Whoever monitors or links it sees that: a
///   parent supervisor restarts it like any other child (escalation).
/// - A child stopped by system shutdown (user_shutdown) is never restarted. A factory that throws
///   (or returns an empty ref) stops the supervisor with reason::child_failed.
/// - When the supervisor stops, for whatever reason, it kills its children.
/// - Finding a child: which_child{name}, or the registry (register_names).
class supervisor : public actor<supervisor, which_child, down_msg> {
 public:
  /// Throws std::invalid_argument for an empty or repeated name, or a spec without a factory.
  supervisor(supervisor_options options, std::vector<child_spec> children);

  actor_ref on(which_child& w);
  void on(down_msg& d);

 protected:
  void on_start() override;
  void on_stop(const exit_reason& reason) override;

 private:
  struct child {
    child_spec spec;
    actor_ref current;  ///< empty while not running
  };

  bool start(std::size_t i);
  void stop(std::size_t i);
  void restart_after(std::size_t failed);
  void give_up(error reason);

  supervisor_options options_;
  std::vector<child> children_;
  restart_window window_;
};

}  // namespace jaegis::actors
