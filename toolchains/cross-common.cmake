# Shared by the cross toolchain files. Expects DOTS_TRIPLE (e.g. aarch64-linux-gnu),
# DOTS_DEB_ARCH (arm64 or armhf) and DOTS_QEMU (qemu-aarch64 or qemu-arm) to be set.
# Target libraries come from a sysroot made by toolchains/make-sysroot (Debian packages
# unpacked), the C and C++ runtime from the cross compiler's own tree (/usr/<triple>), and
# code generation (flatc) runs on the build host.
set(CMAKE_SYSTEM_NAME Linux)
set(DOTS_DEB_ARCH ${DOTS_DEB_ARCH} CACHE STRING "Debian architecture of the target")
set(CMAKE_C_COMPILER ${DOTS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${DOTS_TRIPLE}-g++)

if(NOT DOTS_SYSROOT)
  if(DEFINED ENV{DOTS_SYSROOT})
    set(DOTS_SYSROOT $ENV{DOTS_SYSROOT})
  else()
    get_filename_component(DOTS_SYSROOT ${CMAKE_CURRENT_LIST_DIR}/../build/sysroot-${DOTS_DEB_ARCH} ABSOLUTE)
  endif()
endif()
set(DOTS_SYSROOT ${DOTS_SYSROOT} CACHE PATH "target libraries (toolchains/make-sysroot)")
if(NOT EXISTS ${DOTS_SYSROOT}/usr/lib/${DOTS_TRIPLE})
  message(FATAL_ERROR "no sysroot at ${DOTS_SYSROOT}: run toolchains/make-sysroot ${DOTS_DEB_ARCH}")
endif()

set(CMAKE_FIND_ROOT_PATH ${DOTS_SYSROOT} /usr/${DOTS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE ${DOTS_TRIPLE})

# Debian's multiarch headers (e.g. openssl/opensslconf.h) live under usr/include/<triple>.
set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES ${DOTS_SYSROOT}/usr/include/${DOTS_TRIPLE})
set(CMAKE_C_STANDARD_INCLUDE_DIRECTORIES ${DOTS_SYSROOT}/usr/include/${DOTS_TRIPLE})

set(ENV{PKG_CONFIG_SYSROOT_DIR} ${DOTS_SYSROOT})
set(ENV{PKG_CONFIG_LIBDIR} "${DOTS_SYSROOT}/usr/lib/${DOTS_TRIPLE}/pkgconfig:${DOTS_SYSROOT}/usr/share/pkgconfig")

# Shared libraries' own dependencies (e.g. Paho's OpenSSL) resolve in the sysroot at link time.
set(_dots_libdirs "${DOTS_SYSROOT}/usr/lib/${DOTS_TRIPLE}:${DOTS_SYSROOT}/lib/${DOTS_TRIPLE}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_dots_libdirs}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_dots_libdirs}")

# Tests run under qemu-user: the loader and libc from the cross tree, the rest from the sysroot.
set(CMAKE_CROSSCOMPILING_EMULATOR
    ${DOTS_QEMU};-L;/usr/${DOTS_TRIPLE};-E;LD_LIBRARY_PATH=${_dots_libdirs})
