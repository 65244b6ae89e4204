# Sanitizers as an INTERFACE target; enabled by the asan preset.
add_library(dots_sanitizers INTERFACE)
option(DOTS_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(DOTS_SANITIZE)
  target_compile_options(dots_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(dots_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
