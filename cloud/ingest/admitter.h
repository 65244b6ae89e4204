#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "cloud/registry/registry.h"
#include "shared/error/error.h"
#include "shared/model/reading.h"
#include "shared/seal/envelope.h"

namespace dots::cloud {

// A gateway batch that passed every check, ready to be committed.
struct IncomingBatch {
  std::string gateway;
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  Batch batch;
};

// What admitting a batch needs from the registry; part of a routing snapshot, never changed.
struct AdmissionTable {
  std::unordered_map<std::string, Endpoint> endpoints;     // by gateway id
  std::unordered_map<std::string, std::string> served_by;  // gateway -> environment
  std::unordered_set<std::string> routed;                  // gateways with a route here
};

// Admits a sealed batch from dots/v1/<gw>/up: finds the endpoint by the topic's gateway id,
// checks its environment and that it is enabled, reads the envelope, picks the key by key id,
// opens (tag and AAD), and decodes and verifies the batch. Keeps one cipher per (gateway, key)
// for the table it was last called with (a new table may carry new keys). Thread-safe: the
// MQTT thread admits as batches arrive, the commit worker again after a registry change.
class Admitter {
 public:
  explicit Admitter(std::string environment) : environment_(std::move(environment)) {}

  // Errors carry the rejection reason: unrouted, bad-topic, unknown-gateway,
  // other-environment, disabled-endpoint, gateway-mismatch, unknown-key, and the envelope's and
  // decoder's own.
  Result<IncomingBatch> admit(const std::shared_ptr<const AdmissionTable>& table,
                              std::string_view topic, std::span<const std::uint8_t> payload);

 private:
  std::string environment_;
  std::mutex mutex_;
  std::shared_ptr<const AdmissionTable> ciphers_for_;
  std::map<std::pair<std::string, std::uint32_t>, std::unique_ptr<seal::AesGcm>> ciphers_;
};

}  // namespace dots::cloud
