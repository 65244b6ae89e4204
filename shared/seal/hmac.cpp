#include "shared/seal/hmac.h"

#include <mbedtls/md.h>

#include <stdexcept>

namespace dots::seal {

std::array<std::uint8_t, 32> hmacSha256(std::string_view key, std::string_view message) {
  std::array<std::uint8_t, 32> out{};
  int rc = mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                           reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                           reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                           out.data());
  if (rc != 0) throw std::runtime_error("HMAC-SHA256 failed (mbedTLS)");
  return out;
}

}  // namespace dots::seal
