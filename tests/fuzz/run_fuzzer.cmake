# Runs one libFuzzer target for CTest (see the BILLING_FUZZ block of CMakeLists.txt):
#   cmake -DFUZZER=<binary> -DSEEDS=<repo corpus dir> -DDICT=<dict, may be missing>
#         -DWORK=<build dir> -DTIMEOUT=<s per input> -DRSS_MB=<MiB> -DMODE=fuzz|replay
#         [-DSECONDS=<total>] -P run_fuzzer.cmake
# fuzz:   copies the seeds into a fresh WORK/corpus and fuzzes that copy for SECONDS (the repo
#         corpus is only read; a fresh copy keeps the run's length bounded, as libFuzzer replays
#         the whole corpus before the clock applies). Crashes are saved under WORK/artifacts/.
# replay: runs every seed file once (the regression seeds), writing nothing.
# libFuzzer exits non-zero on a crash, leak, timeout, out-of-memory or sanitizer report.
cmake_minimum_required(VERSION 3.25)

foreach(var FUZZER SEEDS WORK TIMEOUT RSS_MB MODE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}= is required")
  endif()
endforeach()

set(args -timeout=${TIMEOUT} -rss_limit_mb=${RSS_MB} -print_final_stats=1)
file(GLOB seeds LIST_DIRECTORIES false "${SEEDS}/*")
if(NOT seeds)
  message(FATAL_ERROR "no seeds in ${SEEDS}")
endif()

if(MODE STREQUAL "replay")
  execute_process(COMMAND ${FUZZER} ${args} ${seeds} RESULT_VARIABLE rc)
elseif(MODE STREQUAL "fuzz")
  if(NOT DEFINED SECONDS)
    message(FATAL_ERROR "run_fuzzer.cmake: -DSECONDS= is required with MODE=fuzz")
  endif()
  file(REMOVE_RECURSE "${WORK}/corpus")
  file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
  file(COPY ${seeds} DESTINATION "${WORK}/corpus")
  if(DEFINED DICT AND EXISTS "${DICT}")
    list(APPEND args -dict=${DICT})
  endif()
  execute_process(
    COMMAND ${FUZZER} ${args} -max_total_time=${SECONDS} -artifact_prefix=${WORK}/artifacts/
            "${WORK}/corpus"
    RESULT_VARIABLE rc)
else()
  message(FATAL_ERROR "MODE must be fuzz or replay, not '${MODE}'")
endif()

if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); crash inputs, if any, are in ${WORK}/artifacts/")
endif()
