# Project-wide warnings as an INTERFACE target, linked by every first-party target.
add_library(dots_warnings INTERFACE)
target_compile_options(dots_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
# GCC 12 reports false -Wrestrict hits inside std::string at -O2 and above (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(dots_warnings INTERFACE -Wno-restrict)
endif()
option(DOTS_WERROR "Treat warnings as errors" OFF)
if(DOTS_WERROR)
  target_compile_options(dots_warnings INTERFACE -Werror)
endif()
