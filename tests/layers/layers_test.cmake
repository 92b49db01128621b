# ctest -R layers: the build enforces the layers of cmake/QatLayers.cmake.
#
# For every area it takes the compile command the build really uses for one of the
# area's sources (compile_commands.json) and preprocesses, with that command's
# include path:
#   - one scratch source including one header of the area and of every area below
#     it: must succeed;
#   - for every other area, a scratch source including one of its headers: must
#     fail with "No such file or directory".
# It also checks that no source of an area compiles with the whole include/ or src/
# on its include path, and that no file of include/qat/<area> or src/<area> names a
# header of an area it may not use (headers no source of the area includes yet).
#
# Run as: cmake -DQAT_SOURCE_DIR=... -DQAT_BINARY_DIR=... -P layers_test.cmake
cmake_minimum_required(VERSION 3.19)
set(PROJECT_SOURCE_DIR ${QAT_SOURCE_DIR})
include(${QAT_SOURCE_DIR}/cmake/QatLayers.cmake)

set(failures 0)
macro(fail message)
  message(SEND_ERROR "${message}")
  math(EXPR failures "${failures} + 1")
endmacro()

# One header of each area (the first by name), to include from the scratch sources.
foreach(area IN LISTS QAT_AREAS)
  file(GLOB headers RELATIVE ${QAT_SOURCE_DIR}/include ${QAT_SOURCE_DIR}/include/qat/${area}/*.h)
  list(SORT headers)
  list(GET headers 0 header_${area})
endforeach()

# The compile command of every area's sources.
file(READ ${QAT_BINARY_DIR}/compile_commands.json commands)
string(JSON count LENGTH "${commands}")
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  string(JSON entry GET "${commands}" ${i})
  string(JSON file GET "${entry}" file)
  foreach(area IN LISTS QAT_AREAS)
    if(NOT file MATCHES "^${QAT_SOURCE_DIR}/src/${area}/")
      continue()
    endif()
    string(JSON command GET "${entry}" command)
    if(command MATCHES "-I${QAT_SOURCE_DIR}/(include|src)( |$)")
      fail("${file} compiles with ${QAT_SOURCE_DIR}/${CMAKE_MATCH_1} on its include path, not its area's view")
    endif()
    if(NOT command MATCHES "-I${QAT_BINARY_DIR}/include-views/${area}( |$)")
      fail("${file} does not compile with the include view of ${area}")
    endif()
    if(NOT DEFINED command_${area})
      set(command_${area} "${command}")
      string(JSON directory_${area} GET "${entry}" directory)
    endif()
  endforeach()
endforeach()

set(scratch ${QAT_BINARY_DIR}/layers-test)
file(MAKE_DIRECTORY ${scratch})
foreach(area IN LISTS QAT_AREAS)
  if(NOT DEFINED command_${area})
    fail("no source of area ${area} in compile_commands.json")
    continue()
  endif()
  # The real command, preprocessing a scratch source instead of compiling the area's.
  separate_arguments(args UNIX_COMMAND "${command_${area}}")
  set(flags)
  set(skip FALSE)
  foreach(arg IN LISTS args)
    if(skip)
      set(skip FALSE)
    elseif(arg MATCHES "^-(o|c|include)$")
      set(skip TRUE)  # output, source and the precompiled header
    elseif(NOT arg MATCHES "^-Winvalid-pch$")
      list(APPEND flags "${arg}")
    endif()
  endforeach()
  qat_area_below(${area} below)
  set(allowed ${below} ${area})

  set(source ${scratch}/${area}_uses_its_layers.cpp)
  set(text "")
  foreach(a IN LISTS allowed)
    string(APPEND text "#include \"${header_${a}}\"\n")
  endforeach()
  file(WRITE ${source} "${text}")
  execute_process(COMMAND ${flags} -E -o ${scratch}/${area}.i ${source}
                  WORKING_DIRECTORY ${directory_${area}} RESULT_VARIABLE rc ERROR_VARIABLE err)
  file(REMOVE ${scratch}/${area}.i)
  if(NOT rc EQUAL 0)
    fail("${area}: including its own and lower areas' headers (${allowed}) failed:\n${err}")
  endif()

  foreach(other IN LISTS QAT_AREAS)
    if(other IN_LIST allowed)
      continue()
    endif()
    set(source ${scratch}/${area}_uses_${other}.cpp)
    file(WRITE ${source} "#include \"${header_${other}}\"\n")
    execute_process(COMMAND ${flags} -E -o /dev/null ${source}
                    WORKING_DIRECTORY ${directory_${area}} RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(rc EQUAL 0)
      fail("${area}: a source including ${header_${other}} (area ${other}, not below ${area}) compiled")
    elseif(NOT err MATCHES "${header_${other}}: No such file or directory")
      fail("${area}: including ${header_${other}} failed, but not for the layers:\n${err}")
    endif()
  endforeach()

  # What the compiler sees only when a source includes it: every include line of the area.
  file(GLOB_RECURSE files ${QAT_SOURCE_DIR}/include/qat/${area}/* ${QAT_SOURCE_DIR}/src/${area}/*.h
       ${QAT_SOURCE_DIR}/src/${area}/*.cpp)
  foreach(f IN LISTS files)
    file(STRINGS ${f} lines REGEX "^#include \"")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES "^#include \"([a-z_]+)/([a-z_]+)")
        continue()
      endif()
      set(top ${CMAKE_MATCH_1})
      set(used ${CMAKE_MATCH_2})
      if(top STREQUAL "qat")
        if(NOT used IN_LIST allowed)
          fail("${f}: ${line}: area ${used} is not below ${area}")
        endif()
      elseif(NOT top STREQUAL area)
        fail("${f}: ${line}: a private header of another area")
      endif()
    endforeach()
  endforeach()
endforeach()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} layer violations")
endif()
list(LENGTH QAT_AREAS areas)
message(STATUS "layers: ${areas} areas, each compiles with only its own and lower areas' headers")
