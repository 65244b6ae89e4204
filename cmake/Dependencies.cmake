# Third-party libraries. Each is wrapped by exactly one adapter in shared/.
find_package(Threads REQUIRED)
find_package(PahoMqttCpp REQUIRED)
# OpenSSL: Paho's TLS; shared/mqtt also uses it to tell why a TLS connect failed.
find_package(OpenSSL REQUIRED)
find_package(FlatBuffers REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(simdjson REQUIRED)

# mbedTLS 2.28 ships no CMake package on Debian.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/gcm.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)
add_library(dots_mbedcrypto INTERFACE)
target_include_directories(dots_mbedcrypto INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(dots_mbedcrypto INTERFACE ${MBEDCRYPTO_LIBRARY})

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
add_library(dots_cli11 INTERFACE)
target_include_directories(dots_cli11 INTERFACE ${CLI11_INCLUDE_DIR})

# flatc runs on the build host, also when cross-compiling.
find_program(FLATC_EXECUTABLE flatc REQUIRED)
