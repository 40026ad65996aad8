# Timers (timing wheel and timer thread), jaegis::timers. Included from tests/framework/CMakeLists.txt.
jaegis_add_test(framework_timer_test SOURCES timer_test.cpp LIBS jaegis::framework)
