#pragma once

#include <chrono>
#include <string_view>

#include "jaegis/framework/actor_system.hpp"
#include "test_support.hpp"

namespace jaegis::test {

using namespace std::chrono_literals;

/// A system with `workers` workers whose warnings are dropped instead of printed.
inline actor_system_config quiet_config(std::size_t workers = 2) {
  actor_system_config config;
  config.executor.workers = workers;
  config.log = [](std::string_view) {};
  return config;
}

}  // namespace jaegis::test
