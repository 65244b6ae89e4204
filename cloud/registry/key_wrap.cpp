#include "cloud/registry/key_wrap.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "shared/seal/key_check.h"
#include "shared/text/hex.h"

namespace dots::cloud {

namespace {
// What the AAD begins with; the check value's AAD has an empty gateway id, which no endpoint has.
constexpr std::string_view kAadLabel = "dots-registry-key/v1";
constexpr std::string_view kCheckPlain = "dots registry key-encryption key";

std::vector<std::uint8_t> aadFor(const std::string& gateway, std::uint32_t key_id) {
  std::vector<std::uint8_t> aad(kAadLabel.begin(), kAadLabel.end());
  aad.push_back(0);
  aad.insert(aad.end(), gateway.begin(), gateway.end());
  aad.push_back(0);
  for (int shift = 24; shift >= 0; shift -= 8) aad.push_back(std::uint8_t(key_id >> shift));
  return aad;
}

constexpr std::string_view kSecretLabel = "dots-registry-secret/v1";

std::vector<std::uint8_t> secretAad(std::string_view owner) {
  std::vector<std::uint8_t> aad(kSecretLabel.begin(), kSecretLabel.end());
  aad.push_back(0);
  aad.insert(aad.end(), owner.begin(), owner.end());
  return aad;
}

std::array<std::uint8_t, seal::kNonceBytes> randomNonce() {
  seal::Key random = seal::randomKey();
  std::array<std::uint8_t, seal::kNonceBytes> nonce{};
  std::copy_n(random.begin(), nonce.size(), nonce.begin());
  return nonce;
}

std::vector<std::uint8_t> sealWith(seal::AesGcm& gcm, const std::vector<std::uint8_t>& aad,
                                   std::span<const std::uint8_t> plain) {
  auto nonce = randomNonce();
  std::vector<std::uint8_t> out(nonce.begin(), nonce.end());
  gcm.encrypt(nonce, aad, plain, out);
  return out;
}

std::optional<std::vector<std::uint8_t>> openWith(seal::AesGcm& gcm,
                                                  const std::vector<std::uint8_t>& aad,
                                                  std::span<const std::uint8_t> sealed) {
  if (sealed.size() < seal::kNonceBytes + seal::kTagBytes) return std::nullopt;
  std::vector<std::uint8_t> plain;
  if (!gcm.decrypt(sealed.first<seal::kNonceBytes>(), aad, sealed.subspan(seal::kNonceBytes),
                   plain)) {
    return std::nullopt;
  }
  return plain;
}
}  // namespace

KeyWrap::KeyWrap(const seal::Key& kek) : gcm_(std::make_unique<seal::AesGcm>(kek)) {}

std::vector<std::uint8_t> KeyWrap::wrap(const std::string& gateway, std::uint32_t key_id,
                                        const seal::Key& key) {
  return sealWith(*gcm_, aadFor(gateway, key_id), key);
}

std::optional<seal::Key> KeyWrap::unwrap(const std::string& gateway, std::uint32_t key_id,
                                         std::span<const std::uint8_t> wrapped) {
  if (wrapped.size() != kWrappedBytes) return std::nullopt;
  auto plain = openWith(*gcm_, aadFor(gateway, key_id), wrapped);
  if (!plain || plain->size() != seal::kKeyBytes) return std::nullopt;
  seal::Key key{};
  std::copy(plain->begin(), plain->end(), key.begin());
  std::fill(plain->begin(), plain->end(), std::uint8_t{0});
  return key;
}

std::string KeyWrap::wrapSecret(std::string_view owner, std::string_view secret) {
  auto plain = std::span(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size());
  return std::string(kSealedPrefix) + toHex(sealWith(*gcm_, secretAad(owner), plain));
}

std::optional<std::string> KeyWrap::unwrapSecret(std::string_view owner, std::string_view stored) {
  if (!isSealed(stored)) return std::nullopt;
  auto bytes = fromHex(stored.substr(kSealedPrefix.size()));
  if (!bytes) return std::nullopt;
  auto plain = openWith(*gcm_, secretAad(owner), *bytes);
  if (!plain) return std::nullopt;
  std::string out(plain->begin(), plain->end());
  std::fill(plain->begin(), plain->end(), std::uint8_t{0});
  return out;
}

std::string secretOwner(std::string_view kind, std::string_view name, std::string_view detail) {
  std::string owner(kind);
  owner.push_back('\0');
  owner.append(name);
  owner.push_back('\0');
  owner.append(detail);
  return owner;
}

std::vector<std::uint8_t> KeyWrap::checkValue() {
  auto plain =
      std::span(reinterpret_cast<const std::uint8_t*>(kCheckPlain.data()), kCheckPlain.size());
  return sealWith(*gcm_, aadFor("", 0), plain);
}

bool KeyWrap::matches(std::span<const std::uint8_t> check_value) {
  auto plain = openWith(*gcm_, aadFor("", 0), check_value);
  return plain && std::equal(plain->begin(), plain->end(), kCheckPlain.begin(), kCheckPlain.end());
}

Result<seal::Key> readKekFile(const std::string& path, std::string& warning) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("kek-file", "cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  hex.erase(0, hex.find_first_not_of(" \t\r\n"));
  hex.erase(hex.find_last_not_of(" \t\r\n") + 1);
  auto bytes = fromHex(hex);
  if (!bytes || bytes->size() != seal::kKeyBytes) {
    return fail("kek-file", path +
                                " must hold 64 hex digits (a 256-bit key, e.g. from "
                                "`openssl rand -hex 32`)");
  }
  if (seal::isWeakKey(*bytes)) {
    return fail("kek-file", path +
                                " holds a key with no entropy (e.g. all bytes equal): "
                                "make a random one, e.g. `openssl rand -hex 32`");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    warning = path + " may be read by group or others; chmod 0600 " + path;
  }
  seal::Key kek{};
  std::copy(bytes->begin(), bytes->end(), kek.begin());
  std::fill(bytes->begin(), bytes->end(), std::uint8_t{0});
  return kek;
}

}  // namespace dots::cloud
