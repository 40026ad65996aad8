#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this and nothing else): installs missing
# packages, then configures, builds with warnings as errors and runs every test in three builds:
#
#   release  ./build       Release (with samples and benchmarks, which must build too)
#   tsan     ./build-tsan  ThreadSanitizer
#   asan     ./build-asan  AddressSanitizer + UndefinedBehaviorSanitizer (with leak checking)
#
# Stops at the first failure and names the build and the step that failed.
#   scripts/check.sh              all three, in that order
#   scripts/check.sh tsan asan    only those
# Environment: JAEGIS_BUILD_DIR=dir builds in dir, dir-tsan and dir-asan instead; the caller's
# CTEST_PARALLEL_LEVEL is kept, and the caller's *SAN_OPTIONS entries are added after (and so
# override) the defaults below.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir="${JAEGIS_BUILD_DIR:-build}"
jobs=$(nproc)
# Tests run one executable per core: the stress tests start their own worker threads, and more
# than one per core would mostly measure the oversubscription under the sanitizers.
export CTEST_PARALLEL_LEVEL="${CTEST_PARALLEL_LEVEL:-$jobs}"
# halt_on_error: a report fails the test instead of scrolling past in a passing run.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# GCC 12's ThreadSanitizer cannot map its shadow memory when the kernel randomises mmap with more
# than 28 bits (the default on some newer kernels): it dies with "unexpected memory mapping".
# Running the tests without address randomisation sidesteps it.
tsan_runner=()
if [[ -r /proc/sys/vm/mmap_rnd_bits ]] && (($(cat /proc/sys/vm/mmap_rnd_bits) > 28)); then
  tsan_runner=(setarch "$(uname -m)" -R)
fi

summary=()
started=$SECONDS

duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

print_summary() {
  echo
  echo "== check summary ($(duration $((SECONDS - started))) in all, $jobs cores)"
  local line
  for line in "${summary[@]}"; do echo "   $line"; done
}

stage_started=$SECONDS
stage_built=""

fail() {
  local timing
  timing="after $(duration $((SECONDS - stage_started)))"
  [[ -z "$stage_built" ]] || timing+=", configure+build $stage_built"
  summary+=("$1: FAILED at $2 ($timing)")
  print_summary
  echo
  echo "check: FAILED: $1 failed at $2 (see the output above)." >&2
  exit 1
}

# check_build <name> <dir> [runner...] -- <cmake options...>
check_build() {
  local name=$1 dir=$2
  shift 2
  local runner=()
  while [[ $1 != -- ]]; do
    runner+=("$1")
    shift
  done
  shift

  echo
  echo "== $name: configure $dir"
  stage_started=$SECONDS
  stage_built=""
  local t0=$SECONDS
  local generator=()
  # An existing build dir keeps the generator it was made with; naming another one is an error.
  [[ -f "$dir/CMakeCache.txt" ]] || generator=(-G Ninja)
  cmake -S . -B "$dir" "${generator[@]}" -DJAEGIS_WERROR=ON -DJAEGIS_BUILD_TESTS=ON "$@" ||
    fail "$name" "configure"
  echo "== $name: build ($jobs jobs)"
  cmake --build "$dir" --parallel "$jobs" || fail "$name" "build"
  local t1=$SECONDS
  stage_built=$(duration $((t1 - t0)))
  echo "== $name: test"
  # --no-tests=error: a suite that registered nothing must not pass.
  (cd "$dir" && "${runner[@]}" ctest --output-on-failure --no-tests=error) || fail "$name" "test"
  local t2=$SECONDS
  summary+=("$name: ok (configure+build $stage_built, tests $(duration $((t2 - t1))))")
}

stages=("$@")
((${#stages[@]} > 0)) || stages=(release tsan asan)
for stage in "${stages[@]}"; do
  case "$stage" in
    release | tsan | asan) ;;
    *)
      echo "check: unknown build '$stage' (expected release, tsan or asan)" >&2
      exit 2
      ;;
  esac
done

echo "== deps"
scripts/deps.sh || fail "deps" "package installation"

for stage in "${stages[@]}"; do
  case "$stage" in
    release)
      check_build release "$build_dir" -- -DCMAKE_BUILD_TYPE=Release -DJAEGIS_SANITIZE= \
        -DJAEGIS_BUILD_BENCH=ON -DJAEGIS_BUILD_SAMPLES=ON
      ;;
    tsan)
      # Debug keeps assertions on; the top-level CMakeLists.txt adds -O1 -g to sanitizer builds.
      # The samples' tests run here too (whole topologies, small: the most concurrency per
      # second of any test); the benchmarks are skipped (CAF is not instrumented).
      check_build tsan "$build_dir-tsan" "${tsan_runner[@]}" -- -DCMAKE_BUILD_TYPE=Debug \
        -DJAEGIS_SANITIZE=thread -DJAEGIS_BUILD_BENCH=OFF -DJAEGIS_BUILD_SAMPLES=ON
      ;;
    asan)
      check_build asan "$build_dir-asan" -- -DCMAKE_BUILD_TYPE=Debug \
        -DJAEGIS_SANITIZE=address -DJAEGIS_BUILD_BENCH=OFF -DJAEGIS_BUILD_SAMPLES=ON
      ;;
  esac
done

print_summary
echo
echo "check: all passed"
