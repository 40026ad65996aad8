#include "jaegis/schedulers/executor.hpp"

#include <charconv>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "jaegis/schedulers/deterministic_executor.hpp"
#include "jaegis/schedulers/sharing_executor.hpp"
#include "jaegis/schedulers/work_stealing_executor.hpp"
#include "worker_counters_cell.hpp"

namespace jaegis::sched {
namespace {

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

[[noreturn]] void bad_env(const char* name, std::string_view value, const char* expected) {
  throw std::invalid_argument(std::string("jaegis: bad ") + name + "='" + std::string(value) +
                              "': expected " + expected);
}

}  // namespace

executor_config executor_config::from_env(executor_config config) {
  if (const char* value = env("JAEGIS_WORKERS")) {
    std::size_t workers = 0;
    const std::string_view text(value);
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), workers);
    if (error != std::errc{} || end != text.data() + text.size() || workers > 4096) {
      bad_env("JAEGIS_WORKERS", text, "a number of workers from 0 (one per cpu) to 4096");
    }
    config.workers = workers;
  }
  if (const char* value = env("JAEGIS_EXECUTOR")) {
    const std::string_view text(value);
    if (text == "work-stealing") {
      config.kind = executor_kind::work_stealing;
    } else if (text == "sharing") {
      config.kind = executor_kind::sharing;
    } else if (text == "deterministic") {
      config.kind = executor_kind::deterministic;
    } else {
      bad_env("JAEGIS_EXECUTOR", text, "work-stealing, sharing or deterministic");
    }
  }
  if (const char* value = env("JAEGIS_PIN")) {
    const std::string_view text(value);
    if (text != "0" && text != "1") bad_env("JAEGIS_PIN", text, "0 or 1");
    config.pin = text == "1";
  }
  if (const char* value = env("JAEGIS_TOPOLOGY")) {
    topology::parse(value);  // validate now, with the clear message, rather than at start-up
    config.topology = value;
  }
  return config;
}

executor_config executor_config::from_env() {
  return from_env(executor_config{});
}

std::unique_ptr<executor> make_executor(const executor_config& config) {
  switch (config.kind) {
    case executor_kind::sharing:
      return std::make_unique<sharing_executor>(config);
    case executor_kind::deterministic:
      return std::make_unique<deterministic_executor>(config.seed);
    case executor_kind::work_stealing:
      break;
  }
  return std::make_unique<work_stealing_executor>(config);
}

}  // namespace jaegis::sched
