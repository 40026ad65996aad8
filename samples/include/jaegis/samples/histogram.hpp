#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace jaegis::samples {

/// A latency histogram with log-spaced buckets (in the style of HdrHistogram): each power of two
/// is cut into 32 equal buckets, so a reported value is within 1/64 (1.6 %) of every value its
/// bucket holds, over the whole range from 1 ns to 2^40 ns (18 minutes; longer values are
/// counted in the last bucket, and `max()` stays exact). Recording is an index computation and an
/// increment: no allocation, no atomic. A histogram belongs to one thread (or one actor) while it
/// records; histograms are merged once the recording threads are done.
class latency_histogram {
 public:
  /// Values below 2 * sub_count are counted exactly; above, each power of two has sub_count
  /// buckets. 32 keeps the error under 2 % in 9 KiB.
  static constexpr unsigned sub_bits = 5;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
  /// 2^40 ns is 18 minutes: far longer than any sample's latency.
  static constexpr unsigned max_bits = 40;
  static constexpr std::size_t bucket_count = (max_bits - sub_bits + 1) * sub_count;

  latency_histogram() : counts_(bucket_count, 0) {}

  void record(std::uint64_t value) noexcept {
    ++counts_[index_of(value)];
    ++count_;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }

  /// Adds `other`'s samples to this one.
  void merge(const latency_histogram& other) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i)
      counts_[i] += other.counts_[i];
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }

  /// The value below or at which a fraction `q` (0..1) of the samples lie, to within 1/64;
  /// exactly max() for q = 1, and 0 for an empty histogram.
  std::uint64_t percentile(double q) const noexcept {
    if (count_ == 0) return 0;
    if (q >= 1.0) return max_;
    const double wanted = std::max(1.0, q * static_cast<double>(count_));
    auto rank = static_cast<std::uint64_t>(wanted);
    if (static_cast<double>(rank) < wanted) ++rank;  // ceil
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(middle_of(i), min(), max_);
    }
    return max_;
  }

  /// The bucket `value` falls in: the value itself below 2 * sub_count, else the power of two
  /// (as a shift) and the top sub_bits + 1 bits under it.
  static constexpr std::size_t index_of(std::uint64_t value) noexcept {
    constexpr std::uint64_t largest = (std::uint64_t{1} << max_bits) - 1;
    value = std::min(value, largest);
    if (value < 2 * sub_count) return static_cast<std::size_t>(value);
    const unsigned shift = static_cast<unsigned>(std::bit_width(value)) - 1 - sub_bits;
    return static_cast<std::size_t>(shift * sub_count + (value >> shift));
  }
  /// The smallest value in bucket `index`, and the bucket's width.
  static constexpr std::uint64_t lowest_of(std::size_t index) noexcept {
    if (index < 2 * sub_count) return index;
    const std::uint64_t shift = index / sub_count - 1;
    return (index - shift * sub_count) << shift;
  }
  static constexpr std::uint64_t width_of(std::size_t index) noexcept {
    return index < 2 * sub_count ? 1 : std::uint64_t{1} << (index / sub_count - 1);
  }
  /// What a bucket reports: its middle, which is within half a width (1/64) of all it holds.
  static constexpr std::uint64_t middle_of(std::size_t index) noexcept {
    return lowest_of(index) + width_of(index) / 2;
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace jaegis::samples
