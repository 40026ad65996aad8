#pragma once

namespace jaegis::sched {

/// What a runnable asks of its executor when one run ends.
enum class run_result : unsigned char {
  done,   ///< Nothing left to do now; whoever makes it runnable again schedules it.
  again,  ///< More work is waiting: requeue it behind what is already queued (a yield).
};

/// A unit of work an executor runs on its threads. Intrusive: executors never allocate, copy or
/// own a runnable; they pass pointers to it around.
///
/// Contract with the executor:
/// - a runnable is in at most one queue, or running on one thread, at any time; scheduling it
///   again while it is queued or running is a bug of the caller (the actor layer guarantees it
///   with its mailbox's idle tag);
/// - run() must not throw: an exception escaping it terminates the process;
/// - returning run_result::again hands the runnable back to the executor, which requeues it;
///   returning done hands it back to its owner;
/// - the executor does not touch a runnable after its run() returned done, so run() may make it
///   schedulable again (or free it) as its last act: the actor layer relies on that when an
///   actor marks its mailbox idle and another thread schedules it at once.
class runnable {
 public:
  virtual run_result run() noexcept = 0;

 protected:
  runnable() = default;
  runnable(const runnable&) = default;
  runnable& operator=(const runnable&) = default;
  ~runnable() = default;
};

}  // namespace jaegis::sched
