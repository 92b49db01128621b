# The layers of qat (docs/architecture.md "Layers"): each area and the areas its
# sources and headers include directly. This table is the only place the layering
# is written; it drives both
#   - the per-area static libraries qat_<area>, each linking the areas it uses, and
#   - the include view of each area: <build>/include-views/<area>/qat/ holds links
#     to include/qat/<a> for the area itself and every area below it, and
#     <view>/<area> links to src/<area> for its private headers. An area's sources
#     compile with only their view on the include path, so an include of a header of
#     an area above (or beside) it fails with "No such file or directory".
# Consumers (cli, tests, bench) link `qat`, which carries the whole include/ dir.
# tests/layers/layers_test.cmake proves the enforcement (ctest -R layers).
#
# Order: an area appears after every area it uses.
set(QAT_AREAS core dist data graph runtime metrics quant export loss distill model recipe train)
set(QAT_USES_core)
# dist: the ranks of a data-parallel run (c10d behind qat::dist::Group) and the local launcher.
set(QAT_USES_dist core)
set(QAT_USES_data core)
set(QAT_USES_graph core)
set(QAT_USES_runtime core)
set(QAT_USES_metrics core)
set(QAT_USES_quant core graph)
set(QAT_USES_export core graph quant)
set(QAT_USES_loss core metrics)
set(QAT_USES_distill core graph metrics loss)
set(QAT_USES_model core graph quant distill)
# recipe composes the options structs each area owns for its section of a recipe.
set(QAT_USES_recipe core dist data graph metrics quant export distill model)
# train runs the phases of a recipe; it uses everything.
set(QAT_USES_train core dist data graph runtime metrics quant export loss distill model recipe)

# qat_area_below(area out): every area `area` may include, itself excluded (the
# transitive closure of QAT_USES_<area>), in QAT_AREAS order.
function(qat_area_below area out)
  set(below)
  set(todo ${QAT_USES_${area}})
  while(todo)
    list(POP_FRONT todo a)
    if(NOT a IN_LIST below)
      list(APPEND below ${a})
      list(APPEND todo ${QAT_USES_${a}})
    endif()
  endwhile()
  set(ordered)
  foreach(a IN LISTS QAT_AREAS)
    if(a IN_LIST below)
      list(APPEND ordered ${a})
    endif()
  endforeach()
  set(${out} ${ordered} PARENT_SCOPE)
endfunction()

# qat_area_view(area out): (re)makes the include view of `area` and returns its path.
function(qat_area_view area out)
  set(view ${PROJECT_BINARY_DIR}/include-views/${area})
  file(MAKE_DIRECTORY ${view}/qat)
  # Drop links left from an earlier table (links only: never follow them).
  file(GLOB old LIST_DIRECTORIES true ${view}/qat/* ${view}/*)
  foreach(link IN LISTS old)
    if(IS_SYMLINK ${link})
      file(REMOVE ${link})
    endif()
  endforeach()
  qat_area_below(${area} below)
  foreach(a IN LISTS below ITEMS ${area})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/qat/${a} ${view}/qat/${a} SYMBOLIC)
  endforeach()
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${area} ${view}/${area} SYMBOLIC)
  set(${out} ${view} PARENT_SCOPE)
endfunction()

# qat_add_area(area): the static library qat_<area>; src/<area>/CMakeLists.txt adds
# its sources. Every area has the third-party usage requirements the one library had,
# so all compile with the flags of the precompiled header's owner (qat_core).
function(qat_add_area area)
  set(target qat_${area})
  add_library(${target} STATIC)
  qat_area_view(${area} view)
  target_include_directories(${target} PRIVATE ${view})
  target_include_directories(${target} SYSTEM PRIVATE ${STB_INCLUDE_DIR})
  foreach(a IN LISTS QAT_USES_${area})
    target_link_libraries(${target} PUBLIC qat_${a})
  endforeach()
  target_link_libraries(${target}
    # onnx is public only so that every target shares its ONNX_ML definition,
    # which the reused precompiled header requires.
    PUBLIC ${TORCH_LIBRARIES} yaml-cpp spdlog::spdlog onnx onnx_proto protobuf::libprotobuf
    PRIVATE hdf5::hdf5 nlohmann_json::nlohmann_json
            ZLIB::ZLIB Threads::Threads)
  target_compile_definitions(${target} PUBLIC QAT_VERSION="${PROJECT_VERSION}")
  if(area STREQUAL "core")
    target_precompile_headers(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src/pch.h)
  else()
    target_precompile_headers(${target} REUSE_FROM qat_core)
  endif()
  qat_set_warnings(${target})
endfunction()
