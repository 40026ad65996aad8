# Runs one libFuzzer target for a bounded time (the fuzz_* tests; see CMakeLists.txt).
#   -DFUZZER=<binary> -DSEEDS=<committed seed corpus> -DWORK=<scratch dir> -DSECONDS=<n>
# New inputs go to WORK/corpus (the first corpus directory, the one libFuzzer writes), never into
# the source tree; a crashing input is saved in WORK/artifacts and the test fails.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=64
    -print_final_stats=1 "-artifact_prefix=${WORK}/artifacts/" "${WORK}/corpus" "${SEEDS}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${result}): the crash is reported above, its input "
    "is in ${WORK}/artifacts/ (rerun: ${FUZZER} <that file>)")
endif()
message(STATUS "${FUZZER}: ${SECONDS} s without a crash")
