#pragma once

namespace jaegis::detail {

/// Work to do once the current actor run on this thread ends, before the worker moves on: the
/// remoting layer hands a connection's frames to its carrier once per run of a proxy (one system
/// call for a batch of messages) instead of once per message. Called with no actor running.
using run_end_fn = void (*)() noexcept;

/// Calls `fn` when the actor run in progress on this thread ends. One function per thread at a
/// time: asking for another while one is pending calls the pending one first. Outside an actor
/// run it calls `fn` at once.
void call_at_run_end(run_end_fn fn) noexcept;

}  // namespace jaegis::detail
