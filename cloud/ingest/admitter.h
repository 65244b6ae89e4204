#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "cloud/registry/registry.h"
#include "shared/codec/ack_codec.h"
#include "shared/error/error.h"
#include "shared/model/reading.h"
#include "shared/seal/envelope.h"

namespace dots::cloud {

// A gateway batch that opened under its endpoint's key: ready to be committed, or, when
// `refused` is set, authentic but refused for what it holds (it cannot decode, or it is beyond a
// bound), a candidate for the dead-letter table.
struct IncomingBatch {
  std::string gateway;
  std::string account;
  std::uint32_t key_id = 0;
  codec::BatchId id;
  std::array<std::uint8_t, seal::kTagBytes> digest{};  // the seal's tag
  std::shared_ptr<const seal::Key> ack_key;            // derived for the gateway's acks
  Batch batch;
  std::optional<Error> refused;
};

// What admitting a batch needs from the registry; part of a routing snapshot, never changed.
struct AdmissionTable {
  std::unordered_map<std::string, Endpoint> endpoints;     // by gateway id
  std::unordered_map<std::string, std::string> served_by;  // gateway -> environment
  std::unordered_set<std::string> routed;                  // gateways with a route here
};

// Admits a sealed batch from dots/v1/<gw>/up: finds the endpoint by the topic's gateway id,
// checks its environment and that it is enabled, reads the envelope, picks the key by key id,
// derives the key of the envelope's run, opens (tag and AAD), and decodes and verifies the
// batch. Keeps the ciphers of the last few runs per (gateway, key) that opened a batch, for the
// table it was last called with (a new table may carry new keys); a forged envelope naming new
// runs costs a derivation, never cache space. Thread-safe: the MQTT thread admits as batches
// arrive, the commit worker again after a registry change.
class Admitter {
 public:
  explicit Admitter(std::string environment);
  ~Admitter();

  // Errors carry the rejection reason: unrouted, bad-topic, unknown-gateway,
  // other-environment, disabled-endpoint, gateway-mismatch, unknown-key, and the envelope's
  // own. What the decoder refuses comes back as an IncomingBatch with `refused` set.
  Result<IncomingBatch> admit(const std::shared_ptr<const AdmissionTable>& table,
                              std::string_view topic, std::span<const std::uint8_t> payload);
  // Whether readings pushed to `endpoint` over HTTP are this environment's to store (the
  // token was checked by the HTTP side). Errors: unrouted, unknown-gateway, other-environment,
  // disabled-endpoint.
  Result<void> admitPush(const AdmissionTable* table, const std::string& endpoint) const;

 private:
  // The endpoint of `gateway` if this environment serves it and it is enabled.
  Result<const Endpoint*> servedEndpoint(const AdmissionTable& table,
                                         const std::string& gateway) const;

  std::string environment_;
  std::mutex mutex_;
  std::shared_ptr<const AdmissionTable> ciphers_for_;
  struct KeyState {
    std::shared_ptr<const seal::Key> ack_key;
    // Most recently used first, at most kRunsKept.
    std::vector<std::pair<std::uint64_t, std::unique_ptr<seal::AesGcm>>> runs;
  };
  static constexpr std::size_t kRunsKept = 4;
  std::map<std::pair<std::string, std::uint32_t>, KeyState> keys_;
};

}  // namespace dots::cloud
