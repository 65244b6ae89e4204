# Hardening as an INTERFACE target, linked by every first-party target through dots_shared: a
# stack protector, stack-clash probes where the target has them, PIE, full RELRO (-z relro -z
# now), a non-executable stack and, in optimised builds without the sanitizers, _FORTIFY_SOURCE.
# tests/check-hardening checks the built binaries for what DOTS_FORTIFY says (test
# hardening.binaries), and scripts/test-packages the packaged ones.
include(CheckCXXCompilerFlag)
include(CheckPIESupported)
add_library(dots_hardening INTERFACE)

check_pie_supported(LANGUAGES CXX)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

target_compile_options(dots_hardening INTERFACE -fstack-protector-strong)
check_cxx_compiler_flag(-fstack-clash-protection DOTS_HAVE_STACK_CLASH_PROTECTION)
if(DOTS_HAVE_STACK_CLASH_PROTECTION)
  target_compile_options(dots_hardening INTERFACE -fstack-clash-protection)
endif()
target_link_options(dots_hardening INTERFACE -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack)

# _FORTIFY_SOURCE needs optimisation (glibc warns, and -Werror fails, at -O0), and ASan replaces
# the very functions it checks; level 3 needs GCC 12 and glibc 2.34, which Debian 12 has.
if(CMAKE_BUILD_TYPE AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug" AND NOT DOTS_SANITIZE)
  set(DOTS_FORTIFY ON)
  target_compile_options(dots_hardening INTERFACE -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
else()
  set(DOTS_FORTIFY OFF)
endif()
