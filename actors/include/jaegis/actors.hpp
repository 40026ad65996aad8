#pragma once

// The reusable agent patterns of JAEGIS (actors/README.md): routers, a worker pool, pub/sub
// topics, scatter-gather, pipelines, supervisors and rate limiters. Namespace jaegis::actors,
// link target jaegis::actors.
#include "jaegis/actors/errors.hpp"
#include "jaegis/actors/pipeline.hpp"
#include "jaegis/actors/rate_limiter.hpp"
#include "jaegis/actors/router.hpp"
#include "jaegis/actors/scatter_gather.hpp"
#include "jaegis/actors/smallest_mailbox_router.hpp"
#include "jaegis/actors/supervisor.hpp"
#include "jaegis/actors/topic_broker.hpp"
#include "jaegis/actors/worker_pool.hpp"
