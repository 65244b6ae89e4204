#include "cloud/ingest/admitter.h"

#include "shared/codec/batch_codec.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

Result<IncomingBatch> Admitter::admit(const std::shared_ptr<const AdmissionTable>& table,
                                      std::string_view topic,
                                      std::span<const std::uint8_t> payload) {
  if (!table) return fail("unrouted", "the registry is not loaded yet");
  std::lock_guard lock(mutex_);
  if (ciphers_for_ != table) {  // keys may have changed
    ciphers_.clear();
    ciphers_for_ = table;
  }
  auto gw = topics::gatewayOfUpTopic(topic);
  if (!gw) return fail("bad-topic", "not dots/v1/<gateway>/up");
  std::string gateway(*gw);
  auto ep = table->endpoints.find(gateway);
  if (ep == table->endpoints.end()) {
    return fail("unknown-gateway", "no endpoint for \"" + gateway + "\"");
  }
  auto served = table->served_by.find(gateway);
  std::string environment = served == table->served_by.end() ? "default" : served->second;
  if (environment != environment_) return fail("other-environment", environment);
  if (!ep->second.enabled) {
    return fail("disabled-endpoint", "endpoint \"" + gateway + "\" is disabled");
  }
  auto envelope = seal::readEnvelope(payload);
  if (!envelope) return std::unexpected(envelope.error());
  if (envelope->header.gateway != gateway) {
    return fail("gateway-mismatch", "envelope of \"" + envelope->header.gateway.substr(0, 64) +
                                        "\" on the topic of \"" + gateway + "\"");
  }
  auto key = ep->second.keys.find(envelope->header.key_id);
  if (key == ep->second.keys.end()) {
    return fail("unknown-key", "key id " + std::to_string(envelope->header.key_id));
  }
  auto& cipher = ciphers_[{ep->first, key->first}];
  if (!cipher) cipher = std::make_unique<seal::AesGcm>(key->second);
  auto plain = seal::openEnvelope(*cipher, *envelope);
  if (!plain) return std::unexpected(plain.error());
  auto batch = codec::decodeBatch(*plain);
  if (!batch) return std::unexpected(batch.error());
  if (!table->routed.contains(gateway)) {
    // Not acknowledged: the gateway keeps it until a route exists.
    return fail("unrouted", "endpoint \"" + gateway + "\" has no route to a channel");
  }
  return IncomingBatch{ep->first, envelope->header.epoch, envelope->header.seq, std::move(*batch)};
}

}  // namespace dots::cloud
