#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "jaegis/samples/progress.hpp"

namespace jaegis::samples {

/// Shows a run's progress while it runs, from a thread of its own. On a terminal: one line,
/// rewritten in place about four times a second (done/total, percent, rate, elapsed, ETA). Else
/// (a pipe, a log file, CTest): one plain line a second, so that logs stay readable.
class progress_line {
 public:
  /// `out` is where the lines go; `live` chooses the terminal style. `time_limit` (0: none) caps
  /// the ETA.
  progress_line(const progress& p, std::string label, std::string unit, std::FILE* out, bool live,
                std::chrono::nanoseconds time_limit);
  ~progress_line() { stop(); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  /// Stops the thread and, on a terminal, erases the line. Idempotent.
  void stop();

  /// The text of one update (for tests and for the thread).
  static std::string format(const std::string& label, const std::string& unit, std::uint64_t done,
                            std::uint64_t total, double elapsed_s, double limit_s);

 private:
  void loop();

  const progress& progress_;
  std::string label_;
  std::string unit_;
  std::FILE* out_;
  bool live_;
  double limit_s_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace jaegis::samples
