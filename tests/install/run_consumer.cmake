# Run by the install_consumer test (see CMakeLists.txt beside this file):
#   1. cmake --install BUILD_DIR into WORK_DIR/prefix (a fresh, empty prefix);
#   2. configure consumer/ (SOURCE_DIR) in WORK_DIR/build with the same generator, compiler,
#      configuration and flags, finding jaegis through CMAKE_PREFIX_PATH=WORK_DIR/prefix only;
#   3. build it;
#   4. run its program, which fails unless every runnable ran exactly once;
#   5. if README_EXAMPLE names the README's two-agent example, run that too (the consumer built
#      it), and check that it played all its round trips.
cmake_minimum_required(VERSION 3.22)

foreach(var BUILD_DIR SOURCE_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

set(prefix "${WORK_DIR}/prefix")
set(consumer_build "${WORK_DIR}/build")
# A stale prefix could hide a file the install no longer produces.
file(REMOVE_RECURSE "${WORK_DIR}")

function(step name)
  message(STATUS "install_consumer: ${name}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install_consumer: ${name} failed (${rc})")
  endif()
endfunction()

step("install into ${prefix}"
  "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" --config "${CONFIG}")

set(configure_args
  -S "${SOURCE_DIR}" -B "${consumer_build}" -G "${GENERATOR}"
  "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  "-DCMAKE_BUILD_TYPE=${CONFIG}"
  "-DCMAKE_PREFIX_PATH=${prefix}"
  "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
  "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
  # Only the scratch prefix may satisfy find_package: not a package registry, nor an older
  # install under /usr/local (the consumer checks where jaegis was found).
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
  "-DJAEGIS_EXPECTED_PREFIX=${prefix}"
  "-DJAEGIS_README_EXAMPLE=${README_EXAMPLE}")
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
step("configure the consumer" "${CMAKE_COMMAND}" ${configure_args})
step("build the consumer" "${CMAKE_COMMAND}" --build "${consumer_build}" --config "${CONFIG}")

# Single-config generators put programs at the top, multi-config ones under the config.
function(program_path name out)
  set(path "${consumer_build}/${name}")
  if(NOT EXISTS "${path}")
    set(path "${consumer_build}/${CONFIG}/${name}")
  endif()
  set(${out} "${path}" PARENT_SCOPE)
endfunction()

program_path(app app)
step("run the consumer" "${app}")

if(README_EXAMPLE)
  program_path(readme_example example)
  message(STATUS "install_consumer: run the README example")
  execute_process(COMMAND "${example}" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  message("${out}")
  # The example's own success line (it quits early, printing nothing, when a request fails).
  if(NOT rc EQUAL 0 OR NOT out MATCHES "pinger: 100000 round trips")
    message(FATAL_ERROR "install_consumer: the README example failed (${rc})")
  endif()
endif()
