# Project-wide warnings as an INTERFACE target, linked by every first-party target.
add_library(dots_warnings INTERFACE)
target_compile_options(dots_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
option(DOTS_WERROR "Treat warnings as errors" OFF)
if(DOTS_WERROR)
  target_compile_options(dots_warnings INTERFACE -Werror)
endif()
