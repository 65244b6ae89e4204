#include "cloud/ingest/admitter.h"

#include <algorithm>

#include "shared/codec/batch_codec.h"
#include "shared/seal/keys.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

Admitter::Admitter(std::string environment) : environment_(std::move(environment)) {}
Admitter::~Admitter() = default;

Result<const Endpoint*> Admitter::servedEndpoint(const AdmissionTable& table,
                                                 const std::string& gateway) const {
  auto ep = table.endpoints.find(gateway);
  if (ep == table.endpoints.end()) {
    return fail("unknown-gateway", "no endpoint for \"" + gateway + "\"");
  }
  auto served = table.served_by.find(gateway);
  std::string environment = served == table.served_by.end() ? "default" : served->second;
  if (environment != environment_) return fail("other-environment", environment);
  if (!ep->second.enabled) {
    return fail("disabled-endpoint", "endpoint \"" + gateway + "\" is disabled");
  }
  return &ep->second;
}

Result<void> Admitter::admitPush(const AdmissionTable* table, const std::string& endpoint) const {
  if (!table) return fail("unrouted", "the registry is not loaded yet");
  auto ep = servedEndpoint(*table, endpoint);
  if (!ep) return std::unexpected(ep.error());
  return {};
}

Result<IncomingBatch> Admitter::admit(const std::shared_ptr<const AdmissionTable>& table,
                                      std::string_view topic,
                                      std::span<const std::uint8_t> payload) {
  if (!table) return fail("unrouted", "the registry is not loaded yet");
  std::lock_guard lock(mutex_);
  if (ciphers_for_ != table) {  // keys may have changed
    keys_.clear();
    ciphers_for_ = table;
  }
  auto gw = topics::gatewayOfUpTopic(topic);
  if (!gw) return fail("bad-topic", "not dots/v1/<gateway>/up");
  std::string gateway(*gw);
  auto served = servedEndpoint(*table, gateway);
  if (!served) return std::unexpected(served.error());
  const Endpoint& endpoint = **served;
  auto envelope = seal::readEnvelope(payload);
  if (!envelope) return std::unexpected(envelope.error());
  if (envelope->header.gateway != gateway) {
    return fail("gateway-mismatch", "envelope of \"" + envelope->header.gateway.substr(0, 64) +
                                        "\" on the topic of \"" + gateway + "\"");
  }
  auto key = endpoint.keys.find(envelope->header.key_id);
  if (key == endpoint.keys.end()) {
    return fail("unknown-key", "key id " + std::to_string(envelope->header.key_id));
  }
  const seal::EnvelopeHeader& h = envelope->header;
  KeyState& state = keys_[{endpoint.gateway, key->first}];
  if (!state.ack_key) {
    state.ack_key = std::make_shared<const seal::Key>(
        seal::deriveKey(key->second, seal::Purpose::kAck, endpoint.gateway, key->first));
  }
  auto run = std::ranges::find(state.runs, h.run, [](const auto& r) { return r.first; });
  std::unique_ptr<seal::AesGcm> fresh;
  seal::AesGcm* cipher = nullptr;
  if (run != state.runs.end()) {
    cipher = run->second.get();
  } else {
    fresh = std::make_unique<seal::AesGcm>(seal::deriveKey(key->second, seal::Purpose::kUplinkSeal,
                                                           endpoint.gateway, key->first, h.run));
    cipher = fresh.get();
  }
  auto plain = seal::openEnvelope(*cipher, *envelope);
  if (!plain) return std::unexpected(plain.error());
  // Authentic: the run's cipher is worth keeping, most recent first.
  if (fresh) {
    state.runs.insert(state.runs.begin(), {h.run, std::move(fresh)});
    if (state.runs.size() > kRunsKept) state.runs.pop_back();
  } else if (run != state.runs.begin()) {
    std::rotate(state.runs.begin(), run, run + 1);
  }
  IncomingBatch in;
  in.gateway = endpoint.gateway;
  in.account = endpoint.account;
  in.key_id = key->first;
  in.id = {h.run, h.epoch, h.seq};
  auto tag = envelope->tag();
  std::copy_n(tag.begin(), std::min(tag.size(), in.digest.size()), in.digest.begin());
  in.ack_key = state.ack_key;
  auto batch = codec::decodeBatch(*plain);
  if (!batch) {
    in.refused = batch.error();
    return in;
  }
  if (!table->routed.contains(gateway)) {
    // Not acknowledged: the gateway keeps it until a route exists.
    return fail("unrouted", "endpoint \"" + gateway + "\" has no route to a channel");
  }
  in.batch = std::move(*batch);
  return in;
}

}  // namespace dots::cloud
