#pragma once

// Order statistics for benchmark figures: the spread of one figure over rounds (median, min,
// max) and the distribution of latency samples within one round (percentiles).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace jaegis::bench {

/// The spread of one figure over the rounds of a run.
struct spread {
  double median = 0;
  double min = 0;
  double max = 0;
  std::size_t count = 0;
};

/// Median, min and max of `values` (the median of an even count is the mean of the middle two).
inline spread summarize(std::vector<double> values) {
  spread s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  s.min = values.front();
  s.max = values.back();
  s.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return s;
}

/// The q-quantile (0 <= q <= 1) of samples already sorted ascending, by the nearest-rank method:
/// the smallest sample with at least q of all samples at or below it. Nearest rank never
/// invents a value between two samples, so p99.9 of 10^6 samples is a latency that happened.
inline double percentile_sorted(std::span<const std::uint64_t> sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const std::size_t index =
      rank < 1 ? 0 : std::min(sorted.size() - 1, static_cast<std::size_t>(rank) - 1);
  return static_cast<double>(sorted[index]);
}

/// The latency distribution of one round.
struct latency_summary {
  double p50 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
  double mean = 0;
};

/// Sorts `samples` in place and reads its distribution.
inline latency_summary summarize_latency(std::vector<std::uint64_t>& samples) {
  latency_summary l;
  if (samples.empty()) return l;
  std::sort(samples.begin(), samples.end());
  l.p50 = percentile_sorted(samples, 0.50);
  l.p99 = percentile_sorted(samples, 0.99);
  l.p999 = percentile_sorted(samples, 0.999);
  l.max = static_cast<double>(samples.back());
  double sum = 0;
  for (const std::uint64_t s : samples) {
    sum += static_cast<double>(s);
  }
  l.mean = sum / static_cast<double>(samples.size());
  return l;
}

}  // namespace jaegis::bench
