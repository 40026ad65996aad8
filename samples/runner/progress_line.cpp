#include "progress_line.hpp"

#include <algorithm>

#include "jaegis/samples/report.hpp"

namespace jaegis::samples {

namespace {
// Four updates a second look live without flicker; a log gets one line a second.
constexpr auto live_period = std::chrono::milliseconds(250);
constexpr auto plain_period = std::chrono::seconds(1);
}  // namespace

progress_line::progress_line(const progress& p, std::string label, std::string unit, std::FILE* out,
                             bool live, std::chrono::nanoseconds time_limit)
    : progress_(p),
      label_(std::move(label)),
      unit_(std::move(unit)),
      out_(out),
      live_(live),
      limit_s_(std::chrono::duration<double>(time_limit).count()),
      start_(std::chrono::steady_clock::now()),
      thread_([this] { loop(); }) {}

void progress_line::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  if (live_) {
    std::fputs("\r\033[K", out_);  // erase the live line: the report follows
    std::fflush(out_);
  }
}

std::string progress_line::format(const std::string& label, const std::string& unit,
                                  std::uint64_t done, std::uint64_t total, double elapsed_s,
                                  double limit_s) {
  std::string s = label;
  s += ": ";
  s += std::to_string(done);
  if (total > 0) {
    s += '/';
    s += std::to_string(total);
  }
  s += ' ';
  s += unit;
  if (total > 0) {
    char pct[16];
    std::snprintf(pct, sizeof pct, " %3.0f%%",
                  100.0 * static_cast<double>(std::min(done, total)) / static_cast<double>(total));
    s += pct;
  }
  const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
  s += "  ";
  s += format_count(rate);
  s += ' ';
  s += unit;
  s += "/s  elapsed ";
  s += format_duration(elapsed_s * 1e9);
  // ETA: the rest at the average rate so far, but no later than the time limit.
  double eta = -1;
  if (total > 0 && done >= total) {
    eta = 0;
  } else if (total > done && rate > 0) {
    eta = static_cast<double>(total - done) / rate;
  }
  if (limit_s > 0) eta = eta < 0 ? limit_s - elapsed_s : std::min(eta, limit_s - elapsed_s);
  s += "  ETA ";
  s += eta < 0 ? std::string("?") : format_duration(std::max(0.0, eta) * 1e9);
  return s;
}

void progress_line::loop() {
  std::unique_lock lock(mutex_);
  const auto period = live_ ? std::chrono::duration_cast<std::chrono::milliseconds>(live_period)
                            : std::chrono::duration_cast<std::chrono::milliseconds>(plain_period);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string line =
        format(label_, unit_, progress_.done(), progress_.total(), elapsed, limit_s_);
    if (live_) {
      std::fprintf(out_, "\r%s\033[K", line.c_str());
    } else {
      std::fprintf(out_, "%s\n", line.c_str());
    }
    std::fflush(out_);
  }
}

}  // namespace jaegis::samples
