#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shared/error/error.h"

namespace dots::seal {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::uint16_t kEnvelopeVersion = 2;
// The largest envelope the ingester accepts and the largest plaintext it will expand to.
inline constexpr std::size_t kMaxEnvelopeBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxPlaintextBytes = 16 * 1024 * 1024;

using Key = std::array<std::uint8_t, kKeyBytes>;

// A fresh random 256-bit key from mbedTLS's CTR-DRBG seeded by the OS entropy source.
Key randomKey();

// AES-256-GCM under one key. The key schedule is computed once. Not thread-safe: use one
// instance per thread.
class AesGcm {
 public:
  explicit AesGcm(const Key& key);
  ~AesGcm();
  AesGcm(const AesGcm&) = delete;
  AesGcm& operator=(const AesGcm&) = delete;

  // Appends ciphertext followed by the 16-byte tag to `out`.
  void encrypt(std::span<const std::uint8_t, kNonceBytes> nonce, std::span<const std::uint8_t> aad,
               std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);
  // Verifies the tag and writes the plaintext to `out`. Returns false on any mismatch.
  bool decrypt(std::span<const std::uint8_t, kNonceBytes> nonce, std::span<const std::uint8_t> aad,
               std::span<const std::uint8_t> sealed, std::vector<std::uint8_t>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What identifies a sealed batch; every field is authenticated as AAD. (run, epoch, seq) is the
// batch's idempotency key within its gateway; the batch is sealed under the key derived for its
// run (seal::deriveKey with Purpose::kUplinkSeal).
struct EnvelopeHeader {
  std::string gateway;
  std::uint32_t key_id = 0;
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  std::uint64_t run = 0;
};

// A verified envelope; the spans point into the buffer given to readEnvelope.
struct EnvelopeView {
  EnvelopeHeader header;
  bool compressed = false;
  std::span<const std::uint8_t> nonce;
  std::span<const std::uint8_t> ciphertext;
  // The GCM tag (the last bytes of ciphertext): a digest of the sealed batch that tells a resend
  // of it from a different batch under the same idempotency key.
  std::span<const std::uint8_t> tag() const {
    return ciphertext.size() >= kTagBytes ? ciphertext.last(kTagBytes) : ciphertext;
  }
};

// The nonce for (epoch, seq): 4 bytes epoch then 8 bytes seq, big-endian. The gateway never
// reuses an (epoch, seq) under one key, so the nonce is never reused either.
std::array<std::uint8_t, kNonceBytes> nonceFor(std::uint32_t epoch, std::uint64_t seq);

// Optionally compresses (zstd) and seals `plaintext` into a dots.wire.Envelope; `gcm` holds the
// run's key.
std::vector<std::uint8_t> sealEnvelope(AesGcm& gcm, const EnvelopeHeader& header,
                                       std::span<const std::uint8_t> plaintext, bool use_zstd);

// Verifies the envelope's structure without decrypting. Errors: "oversize", "malformed",
// "version".
Result<EnvelopeView> readEnvelope(std::span<const std::uint8_t> bytes);

// Authenticates and decrypts (then decompresses) a verified envelope; `gcm` holds the key of its
// run. Errors: "bad-tag"
// (wrong key, tampered data or header), "bad-nonce", "bad-compression", "oversize".
Result<std::vector<std::uint8_t>> openEnvelope(AesGcm& gcm, const EnvelopeView& envelope);

}  // namespace dots::seal
