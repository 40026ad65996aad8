#pragma once

#include <string>
#include <string_view>

#include "jaegis/framework/error.hpp"

namespace jaegis::actors {

/// Why a pattern refused or failed a piece of work. The framework's `errc` has no codes for these,
/// so the errors they become carry `errc::linked_exit` (the code the framework reserves for user
/// reasons) and a `what` that starts with the reason's name ("overloaded: queue full (8 jobs)").
/// Test them with `is(err, reason)`, not by comparing codes.
enum class reason {
  overloaded,          ///< a bounded queue was full: the work was refused at once (backpressure)
  no_routee,           ///< a router had no routee to send the message to
  intensity_exceeded,  ///< a supervisor restarted its children too often and gave up
  child_failed,        ///< a supervisor could not start a child (its factory threw)
};

std::string_view to_string(reason r) noexcept;

/// `error(errc::linked_exit, "<reason>: <detail>")`.
error make_error(reason r, std::string_view detail);

/// Whether `err` was made by make_error(r, ...).
bool is(const error& err, reason r) noexcept;

}  // namespace jaegis::actors
