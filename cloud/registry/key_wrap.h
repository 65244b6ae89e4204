#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "shared/error/error.h"
#include "shared/seal/envelope.h"

namespace dots::cloud {

// Endpoint keys sealed for storage under a key-encryption key (KEK): AES-256-GCM with a fresh
// random 12-byte nonce per sealed key and, as AAD, the gateway id and key id, so a sealed key
// moved to another gateway's or key id's row no longer opens. Stored form: nonce, ciphertext,
// tag (60 bytes). Not thread-safe (one per registry connection).
class KeyWrap {
 public:
  static constexpr std::size_t kWrappedBytes =
      seal::kNonceBytes + seal::kKeyBytes + seal::kTagBytes;

  explicit KeyWrap(const seal::Key& kek);

  std::vector<std::uint8_t> wrap(const std::string& gateway, std::uint32_t key_id,
                                 const seal::Key& key);
  // nullopt when `wrapped` is not a key sealed under this KEK for (gateway, key id).
  std::optional<seal::Key> unwrap(const std::string& gateway, std::uint32_t key_id,
                                  std::span<const std::uint8_t> wrapped);

  // A secret of any length (a stream's broker password, a webhook's signing secret) sealed for
  // a TEXT column: kSealedPrefix, then the hex of nonce, ciphertext and tag. `owner` names what
  // it belongs to (see secretOwner) and is authenticated, so a sealed secret moved to another
  // row does not open there.
  static constexpr std::string_view kSealedPrefix = "kek-sealed:";
  static bool isSealed(std::string_view stored) { return stored.starts_with(kSealedPrefix); }
  std::string wrapSecret(std::string_view owner, std::string_view secret);
  // nullopt when `stored` is not a secret sealed under this KEK for `owner`.
  std::optional<std::string> unwrapSecret(std::string_view owner, std::string_view stored);

  // A value sealed under the KEK that the registry keeps, so that opening it with another KEK
  // is refused at once rather than as "bad-tag" on every batch.
  std::vector<std::uint8_t> checkValue();
  bool matches(std::span<const std::uint8_t> check_value);

 private:
  std::unique_ptr<seal::AesGcm> gcm_;
};

// The owner of a secret as KeyWrap::wrapSecret binds it: its kind and the names it belongs to.
std::string secretOwner(std::string_view kind, std::string_view name, std::string_view detail = {});

// Reads a KEK from a secret file: 64 hex digits (e.g. `openssl rand -hex 32`), surrounding white
// space ignored. A key with no entropy (seal::isWeakKey) is refused. `warning` is set when
// group or others may read the file. Errors: "kek-file" (with what is wrong).
Result<seal::Key> readKekFile(const std::string& path, std::string& warning);

}  // namespace dots::cloud
