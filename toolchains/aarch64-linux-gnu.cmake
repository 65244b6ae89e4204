# 64-bit ARM boards (Raspberry Pi OS / Debian / Ubuntu arm64).
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(DOTS_TRIPLE aarch64-linux-gnu)
set(DOTS_DEB_ARCH arm64)
set(DOTS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
