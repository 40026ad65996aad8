#pragma once

// Everything a user of JAEGIS needs: actors, refs, the system, requests, timers, the registry.
#include "jaegis/framework/actor.hpp"
#include "jaegis/framework/actor_system.hpp"
#include "jaegis/framework/delayed_send.hpp"
#include "jaegis/framework/error.hpp"
#include "jaegis/framework/ref.hpp"
#include "jaegis/framework/registry.hpp"
#include "jaegis/framework/request.hpp"
#include "jaegis/framework/send_exit.hpp"
#include "jaegis/framework/system_messages.hpp"
#include "jaegis/framework/task.hpp"
