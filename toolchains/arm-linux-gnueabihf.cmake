# 32-bit ARM boards with hardware float (Raspberry Pi OS armhf, Debian armhf).
set(CMAKE_SYSTEM_PROCESSOR arm)
set(DOTS_TRIPLE arm-linux-gnueabihf)
set(DOTS_DEB_ARCH armhf)
set(DOTS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
