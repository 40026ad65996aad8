// The latency histogram: bounded relative error over its whole range, exact percentiles where
// the buckets are exact, merging, and the per-worker collection.
#include "jaegis/samples/histogram.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>

#include "jaegis/jaegis.hpp"
#include "jaegis/samples/report.hpp"
#include "jaegis/samples/worker_histograms.hpp"
#include "progress_line.hpp"
#include "test_support.hpp"

using namespace jaegis;
using namespace jaegis::samples;
using h = latency_histogram;

TEST_CASE("buckets tile the range: contiguous, each value in its own bucket",
          "[samples][histogram]") {
  std::size_t previous = 0;
  for (std::uint64_t v = 0; v < (1u << 16); ++v) {
    const std::size_t i = h::index_of(v);
    REQUIRE(i < h::bucket_count);
    REQUIRE((i == previous || i == previous + 1));
    REQUIRE(h::lowest_of(i) <= v);
    REQUIRE(v < h::lowest_of(i) + h::width_of(i));
    previous = i;
  }
  CHECK(h::index_of((std::uint64_t{1} << h::max_bits) - 1) == h::bucket_count - 1);
  CHECK(h::index_of(~std::uint64_t{0}) == h::bucket_count - 1);  // beyond the range: the last
}

TEST_CASE("a reported value is within 1/64 of the recorded one, 1 ns to 2^40 ns",
          "[samples][histogram]") {
  std::mt19937_64 rng(42);
  for (int k = 0; k < 200'000; ++k) {
    const unsigned bits = 1 + static_cast<unsigned>(rng() % h::max_bits);
    const std::uint64_t v = 1 + rng() % ((std::uint64_t{1} << bits) - 1);
    const auto reported = static_cast<double>(h::middle_of(h::index_of(v)));
    REQUIRE(std::abs(reported - static_cast<double>(v)) <= static_cast<double>(v) / 64);
  }
}

TEST_CASE("percentiles of known data", "[samples][histogram]") {
  h hist;
  CHECK(hist.count() == 0);
  CHECK(hist.percentile(0.5) == 0);
  CHECK(hist.max() == 0);
  CHECK(hist.min() == 0);
  for (std::uint64_t v = 1; v <= 10'000; ++v)
    hist.record(v * 1'000);  // 1 us .. 10 ms
  CHECK(hist.count() == 10'000);
  CHECK(hist.min() == 1'000);
  CHECK(hist.max() == 10'000'000);
  CHECK(hist.percentile(1.0) == 10'000'000);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 10'000 * 1'000;
    CHECK(std::abs(static_cast<double>(hist.percentile(q)) - exact) <= exact / 64 + 1'000);
  }
  h small;
  for (std::uint64_t v : {5u, 7u, 9u, 11u})  // below 64: exact buckets
    small.record(v);
  CHECK(small.percentile(0.5) == 7);
  CHECK(small.percentile(0.75) == 9);
  CHECK(small.percentile(0.0) == 5);
}

TEST_CASE("merging equals recording everything in one", "[samples][histogram]") {
  h a, b, all;
  for (std::uint64_t v = 1; v < 5'000; ++v) {
    (v % 3 == 0 ? a : b).record(v * 37);
    all.record(v * 37);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  for (double q : {0.1, 0.5, 0.99, 0.999, 1.0})
    CHECK(a.percentile(q) == all.percentile(q));
  h empty;
  a.merge(empty);
  CHECK(a.count() == all.count());
  CHECK(a.min() == all.min());
}

namespace {
struct sample {
  std::uint64_t ns;
};
struct recorder : actor<recorder, sample> {
  explicit recorder(worker_histograms* h) : hist(h) {}
  void on(sample& s) { hist->record(s.ns); }
  worker_histograms* hist;
};
}  // namespace

TEST_CASE("per-worker histograms: samples from actors on every worker, merged",
          "[samples][histogram]") {
  actor_system_config config;
  config.executor.workers = 2;
  actor_system system(config);
  worker_histograms hist(system.executor());
  {
    std::vector<ref<recorder>> recorders;
    for (int i = 0; i < 8; ++i)
      recorders.push_back(system.spawn<recorder>(&hist));
    for (std::uint64_t v = 1; v <= 8'000; ++v)
      recorders[v % 8].send(sample{v});
  }  // the recorders, unreferenced, stop once their mailboxes are empty
  system.await_all_actors_done();
  hist.record(123);  // from outside the workers: the extra slot
  const latency_histogram all = hist.merged();
  CHECK(all.count() == 8'001);
  CHECK(all.max() == 8'000);
  CHECK(all.min() == 1);
}

TEST_CASE("report formatting: durations, counts, and the progress line", "[samples][report]") {
  CHECK(format_duration(12) == "12 ns");
  CHECK(format_duration(1'500) == "1.5 us");
  CHECK(format_duration(2'340'000) == "2.34 ms");
  CHECK(format_duration(3e9) == "3 s");
  CHECK(format_count(999) == "999");
  CHECK(format_count(12'300) == "12.3k");
  CHECK(format_count(4'560'000) == "4.56M");
  const std::string line = progress_line::format("ring", "hops", 250, 1'000, 0.5, 0);
  CHECK(line == "ring: 250/1000 hops  25%  500 hops/s  elapsed 500 ms  ETA 1.5 s");
  CHECK(progress_line::format("ring", "hops", 1'000, 1'000, 2, 0).ends_with("ETA 0 ns"));
  // A time limit closer than the rest of the work bounds the ETA.
  CHECK(progress_line::format("ring", "hops", 10, 1'000'000, 1, 3).ends_with("ETA 2 s"));
}
