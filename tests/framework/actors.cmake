# Actor-layer tests (the framework target's actors, requests, lifecycle, registry, stress).
jaegis_add_test(framework_actor_basics_test SOURCES actor_basics_test.cpp LIBS jaegis::framework)
jaegis_add_test(framework_actor_request_test SOURCES actor_request_test.cpp LIBS jaegis::framework)
jaegis_add_test(framework_actor_lifecycle_test SOURCES actor_lifecycle_test.cpp LIBS jaegis::framework)
jaegis_add_test(framework_actor_stress_test SOURCES actor_stress_test.cpp LIBS jaegis::framework)
jaegis_add_test(framework_actor_alloc_test SOURCES actor_alloc_test.cpp LIBS jaegis::framework)
jaegis_add_test(framework_actor_timer_test SOURCES actor_timer_test.cpp LIBS jaegis::framework)
jaegis_add_test(framework_actor_deterministic_test SOURCES actor_deterministic_test.cpp LIBS jaegis::framework)

# A typed ref must refuse, at compile time, a message type its actor does not accept. The test
# builds a source that tries it and expects the build to fail with our static_assert's message;
# the same source without the bad send is built as part of `all`, so a failure for any other
# reason would break the build instead of passing this test.
add_executable(framework_compile_fail_control compile_fail/typed_send.cpp)
target_link_libraries(framework_compile_fail_control PRIVATE jaegis::framework)
# jaegis_compile_fail(<name> <definition>): builds compile_fail/typed_send.cpp with <definition>
# and passes only if the build fails with our static_assert's message.
function(jaegis_compile_fail name definition)
  add_executable(${name} EXCLUDE_FROM_ALL compile_fail/typed_send.cpp)
  target_compile_definitions(${name} PRIVATE ${definition}=1)
  target_link_libraries(${name} PRIVATE jaegis::framework)
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${name})
  set_tests_properties(${name} PROPERTIES
    PASS_REGULAR_EXPRESSION "does not accept this message type" RUN_SERIAL TRUE)
endfunction()
jaegis_compile_fail(framework_compile_fail_typed_send JAEGIS_SEND_WRONG_TYPE)
jaegis_compile_fail(framework_compile_fail_typed_request JAEGIS_REQUEST_WRONG_TYPE)

# The example in framework/README.md and the project README, built and run as is.
add_executable(framework_readme_two_agents readme/two_agents.cpp)
target_link_libraries(framework_readme_two_agents PRIVATE jaegis::jaegis)
add_test(NAME framework_readme_two_agents COMMAND framework_readme_two_agents)
set_tests_properties(framework_readme_two_agents PROPERTIES
  PASS_REGULAR_EXPRESSION "pinger: 100000 round trips" TIMEOUT 120)
