#include "shared/seal/keys.h"

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>

#include <stdexcept>
#include <vector>

namespace dots::seal {

namespace {

std::string_view labelOf(Purpose purpose) {
  switch (purpose) {
    case Purpose::kUplinkSeal: return "dots/v2 uplink seal";
    case Purpose::kAck: return "dots/v2 downlink ack";
    case Purpose::kCommand: return "dots/v2 downlink command";
    case Purpose::kConfig: return "dots/v2 downlink config";
  }
  throw std::logic_error("unknown key purpose");
}

const mbedtls_md_info_t* sha256() {
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  if (!md) throw std::runtime_error("mbedTLS lacks SHA-256");
  return md;
}

void putBigEndian(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

Key deriveKey(const Key& endpoint_key, Purpose purpose, std::string_view gateway,
              std::uint32_t key_id, std::uint64_t run) {
  std::string_view label = labelOf(purpose);
  // info: label, 0, gateway length (2 bytes), gateway, key id (4 bytes), all big-endian.
  std::vector<std::uint8_t> info(label.begin(), label.end());
  info.push_back(0);
  putBigEndian(info, gateway.size(), 2);
  info.insert(info.end(), gateway.begin(), gateway.end());
  putBigEndian(info, key_id, 4);
  std::vector<std::uint8_t> salt;
  putBigEndian(salt, run, 8);
  Key out{};
  if (mbedtls_hkdf(sha256(), salt.data(), salt.size(), endpoint_key.data(), endpoint_key.size(),
                   info.data(), info.size(), out.data(), out.size()) != 0) {
    throw std::runtime_error("mbedtls_hkdf failed");
  }
  return out;
}

Mac hmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  Mac mac{};
  if (mbedtls_md_hmac(sha256(), key.data(), key.size(), data.data(), data.size(), mac.data()) !=
      0) {
    throw std::runtime_error("mbedtls_md_hmac failed");
  }
  return mac;
}

Mac hmacSha256(std::string_view key, std::string_view data) {
  auto bytes = [](std::string_view text) {
    return std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  };
  return hmacSha256(bytes(key), bytes(data));
}

Mac sha256Digest(std::string_view data) {
  Mac digest{};
  if (mbedtls_md(sha256(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                 digest.data()) != 0) {
    throw std::runtime_error("mbedtls_md failed");
  }
  return digest;
}

bool equalInConstantTime(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return diff == 0;
}

std::uint64_t randomRun() {
  for (;;) {
    Key bytes = randomKey();
    std::uint64_t run = 0;
    for (int i = 0; i < 8; ++i) run = (run << 8) | bytes[static_cast<std::size_t>(i)];
    if (run != 0) return run;
  }
}

}  // namespace dots::seal
