# Shared build helpers: warnings, the torch precompiled header, test and bench targets.

function(qat_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# Targets whose sources include ATen/torch headers reuse one precompiled header
# (built once for the library, src/CMakeLists.txt) instead of parsing torch in every
# translation unit. The areas reuse qat_core's (cmake/QatLayers.cmake), built from
# the same pch.h with the same flags.
function(qat_use_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM qat)
endfunction()

# qat_add_test(core error_test.cpp key_path_test.cpp) builds the tests of one area
# (tests/core/*.cpp) into one gtest binary, test_core, registered with ctest.
# One binary per area keeps link time (libtorch is large) low on 2 cores.
function(qat_add_test area)
  set(name test_${area})
  set(sources ${ARGN})
  list(TRANSFORM sources PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  add_executable(${name} ${sources})
  target_link_libraries(${name} PRIVATE qat qat_test_support GTest::gtest GTest::gmock GTest::gtest_main)
  qat_set_warnings(${name})
  qat_use_torch_pch(${name})
  gtest_discover_tests(${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                       PROPERTIES ENVIRONMENT "QAT_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
                       DISCOVERY_TIMEOUT 60)
endfunction()

# qat_add_bench(fake_quant) builds bench/fake_quant_bench.cpp.
function(qat_add_bench name)
  add_executable(bench_${name} ${CMAKE_CURRENT_SOURCE_DIR}/${name}_bench.cpp)
  target_link_libraries(bench_${name} PRIVATE qat benchmark::benchmark)
  qat_use_torch_pch(bench_${name})
endfunction()
