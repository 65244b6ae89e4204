#include "shared/seal/envelope.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/gcm.h>

#include <algorithm>
#include <stdexcept>

#include "dots/wire/envelope_generated.h"
#include "shared/codec/aligned_bytes.h"
#include "shared/compress/zstd_codec.h"

namespace dots::seal {

struct AesGcm::Impl {
  mbedtls_gcm_context ctx;
};

AesGcm::AesGcm(const Key& key) : impl_(std::make_unique<Impl>()) {
  mbedtls_gcm_init(&impl_->ctx);
  if (mbedtls_gcm_setkey(&impl_->ctx, MBEDTLS_CIPHER_ID_AES, key.data(), kKeyBytes * 8) != 0) {
    mbedtls_gcm_free(&impl_->ctx);
    throw std::runtime_error("mbedtls_gcm_setkey failed");
  }
}

AesGcm::~AesGcm() {
  mbedtls_gcm_free(&impl_->ctx);
}

void AesGcm::encrypt(std::span<const std::uint8_t, kNonceBytes> nonce,
                     std::span<const std::uint8_t> aad, std::span<const std::uint8_t> plaintext,
                     std::vector<std::uint8_t>& out) {
  std::size_t start = out.size();
  out.resize(start + plaintext.size() + kTagBytes);
  // Cannot fail for a valid key, 12-byte nonce and 16-byte tag.
  mbedtls_gcm_crypt_and_tag(&impl_->ctx, MBEDTLS_GCM_ENCRYPT, plaintext.size(), nonce.data(),
                            nonce.size(), aad.data(), aad.size(), plaintext.data(),
                            out.data() + start, kTagBytes, out.data() + start + plaintext.size());
}

bool AesGcm::decrypt(std::span<const std::uint8_t, kNonceBytes> nonce,
                     std::span<const std::uint8_t> aad, std::span<const std::uint8_t> sealed,
                     std::vector<std::uint8_t>& out) {
  if (sealed.size() < kTagBytes) return false;
  std::size_t n = sealed.size() - kTagBytes;
  out.resize(n);
  int rc =
      mbedtls_gcm_auth_decrypt(&impl_->ctx, n, nonce.data(), nonce.size(), aad.data(), aad.size(),
                               sealed.data() + n, kTagBytes, sealed.data(), out.data());
  if (rc != 0) {
    out.clear();
    return false;
  }
  return true;
}

Key randomKey() {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  static constexpr unsigned char kPersonal[] = "dots-key";
  int rc =
      mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, kPersonal, sizeof kPersonal - 1);
  Key key{};
  if (rc == 0) rc = mbedtls_ctr_drbg_random(&drbg, key.data(), key.size());
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  if (rc != 0) throw std::runtime_error("cannot generate a random key (mbedTLS CTR-DRBG)");
  return key;
}

std::array<std::uint8_t, kNonceBytes> nonceFor(std::uint32_t epoch, std::uint64_t seq) {
  std::array<std::uint8_t, kNonceBytes> nonce{};
  for (int i = 0; i < 4; ++i) nonce[i] = static_cast<std::uint8_t>(epoch >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(seq >> (56 - 8 * i));
  return nonce;
}

namespace {

// AAD: a domain label, then every header field in a fixed, length-prefixed layout.
std::vector<std::uint8_t> aadFor(const EnvelopeHeader& h, bool compressed) {
  static constexpr std::string_view kLabel = "dots/v2 envelope";
  std::vector<std::uint8_t> aad(kLabel.begin(), kLabel.end());
  auto put = [&aad](std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) aad.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  put(kEnvelopeVersion, 2);
  put(h.gateway.size(), 2);
  aad.insert(aad.end(), h.gateway.begin(), h.gateway.end());
  put(h.key_id, 4);
  put(h.run, 8);
  put(h.epoch, 4);
  put(h.seq, 8);
  put(compressed ? 1 : 0, 1);
  return aad;
}

}  // namespace

std::vector<std::uint8_t> sealEnvelope(AesGcm& gcm, const EnvelopeHeader& header,
                                       std::span<const std::uint8_t> plaintext, bool use_zstd) {
  std::vector<std::uint8_t> packed;
  if (use_zstd) packed = compress::compress(plaintext);
  std::span<const std::uint8_t> body = use_zstd ? std::span<const std::uint8_t>(packed) : plaintext;

  auto nonce = nonceFor(header.epoch, header.seq);
  std::vector<std::uint8_t> sealed;
  sealed.reserve(body.size() + kTagBytes);
  gcm.encrypt(nonce, aadFor(header, use_zstd), body, sealed);

  flatbuffers::FlatBufferBuilder fbb(128 + sealed.size());
  auto gw = fbb.CreateString(header.gateway);
  auto nonce_vec = fbb.CreateVector(nonce.data(), nonce.size());
  auto ct_vec = fbb.CreateVector(sealed);
  auto root = wire::CreateEnvelope(
      fbb, kEnvelopeVersion, gw, header.key_id, header.epoch, header.seq,
      use_zstd ? wire::Compression::Zstd : wire::Compression::None, nonce_vec, ct_vec, header.run);
  wire::FinishEnvelopeBuffer(fbb, root);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

Result<EnvelopeView> readEnvelope(std::span<const std::uint8_t> received) {
  if (received.size() > kMaxEnvelopeBytes) {
    return fail("oversize", "envelope of " + std::to_string(received.size()) + " bytes");
  }
  codec::AlignedBytes aligned(received);
  std::span<const std::uint8_t> bytes = aligned.span();
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), /*max_depth=*/4, /*max_tables=*/8);
  if (!wire::VerifyEnvelopeBuffer(verifier)) {
    return fail("malformed", "envelope fails FlatBuffers verification");
  }
  const wire::Envelope* env = wire::GetEnvelope(bytes.data());
  if (env->version() != kEnvelopeVersion) {
    return fail("version", "envelope version " + std::to_string(env->version()));
  }
  if (!env->nonce() || !env->ciphertext()) return fail("malformed", "envelope lacks nonce or data");
  if (env->compression() != wire::Compression::None &&
      env->compression() != wire::Compression::Zstd) {
    return fail("malformed", "unknown compression");
  }
  EnvelopeView view;
  view.header.gateway = env->gateway()->str();
  view.header.key_id = env->key_id();
  view.header.run = env->run();
  view.header.epoch = env->epoch();
  view.header.seq = env->seq();
  view.compressed = env->compression() == wire::Compression::Zstd;
  // The spans point into the buffer received, whether or not it had to be aligned.
  view.nonce = aligned.original({env->nonce()->data(), env->nonce()->size()});
  view.ciphertext = aligned.original({env->ciphertext()->data(), env->ciphertext()->size()});
  return view;
}

Result<std::vector<std::uint8_t>> openEnvelope(AesGcm& gcm, const EnvelopeView& envelope) {
  auto expected_nonce = nonceFor(envelope.header.epoch, envelope.header.seq);
  if (envelope.nonce.size() != kNonceBytes ||
      !std::equal(expected_nonce.begin(), expected_nonce.end(), envelope.nonce.begin())) {
    return fail("bad-nonce", "nonce does not match (epoch, seq)");
  }
  std::vector<std::uint8_t> plain;
  if (!gcm.decrypt(expected_nonce, aadFor(envelope.header, envelope.compressed),
                   envelope.ciphertext, plain)) {
    return fail("bad-tag", "authentication failed (wrong key or tampered batch)");
  }
  if (!envelope.compressed) return plain;
  return compress::decompress(plain, kMaxPlaintextBytes);
}

}  // namespace dots::seal
