#include "jaegis/actors/pipeline.hpp"

#include <string>

namespace jaegis::actors::detail_pipeline {

void log_lost(actor_system& system, actor_id stage, std::uint64_t lost) {
  if (lost != 1) return;
  std::string line = "jaegis::actors::stage ";
  line += std::to_string(stage);
  line += ": an item was lost (the next stage stopped or did not acknowledge in time)";
  system.log(line);
}

}  // namespace jaegis::actors::detail_pipeline
