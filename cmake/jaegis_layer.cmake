# jaegis_add_layer(<layer> SOURCES <files...>)
#
# One library per layer folder: target jaegis_<layer>, alias jaegis::<layer>, exported (and
# installed) as jaegis::<layer>, its public headers under <layer>/include/ in the build tree and
# the install prefix's include dir once installed, the project's warnings applied privately. The
# caller adds the layer's own dependencies with target_link_libraries.
function(jaegis_add_layer layer)
  cmake_parse_arguments(arg "" "" "SOURCES" ${ARGN})
  set(target jaegis_${layer})
  add_library(${target} ${arg_SOURCES})
  add_library(jaegis::${layer} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${layer} OUTPUT_NAME ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:jaegis_warnings>)
endfunction()
