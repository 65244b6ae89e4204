# The gateway as a Debian package (cpack -G DEB in a native or cross build directory):
# dots-gateway and dots-sim, a systemd unit, /etc/dots/gateway.toml as a conffile.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/dots-gateway.service
        DESTINATION lib/systemd/system COMPONENT gateway)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/gateway.toml DESTINATION /etc/dots COMPONENT gateway)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/mosquitto/local.conf
        DESTINATION share/doc/dots-gateway/examples RENAME mosquitto-local.conf COMPONENT gateway)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/dots-gateway COMPONENT gateway)

if(NOT DOTS_DEB_ARCH)
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE DOTS_DEB_ARCH
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL gateway)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_NAME dots)
set(CPACK_PACKAGE_VENDOR "Dots")
set(CPACK_PACKAGE_CONTACT "Dots maintainers <dots@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_GATEWAY_PACKAGE_NAME dots-gateway)
set(CPACK_DEBIAN_GATEWAY_FILE_NAME "dots-gateway_${PROJECT_VERSION}_${DOTS_DEB_ARCH}.deb")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${DOTS_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_COMPONENT_GATEWAY_DESCRIPTION
    "Dots field gateway\n dots-gateway collects sensor readings from a local MQTT broker, batches,\n compresses and seals them (AES-256-GCM), keeps them in a durable spool and\n forwards them to the Dots cloud until each batch is acknowledged.")
# The libraries the binaries link, as Debian 12 names them on every architecture.
set(CPACK_DEBIAN_GATEWAY_PACKAGE_DEPENDS
    "libc6 (>= 2.36), libstdc++6 (>= 12), libgcc-s1, libpaho-mqttpp3-1 (>= 1.2.0), libpaho-mqtt1.3, libssl3, libmbedcrypto7, libsqlite3-0, libzstd1, libsimdjson14, libtomlplusplus3, adduser")
set(CPACK_DEBIAN_GATEWAY_PACKAGE_RECOMMENDS "mosquitto")
set(CPACK_DEBIAN_GATEWAY_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/deploy/debian/postinst;${PROJECT_SOURCE_DIR}/deploy/debian/prerm;${PROJECT_SOURCE_DIR}/deploy/debian/postrm;${PROJECT_SOURCE_DIR}/deploy/debian/conffiles")
set(CPACK_DEBIAN_GATEWAY_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
