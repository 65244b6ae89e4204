#pragma once

#include "cloud/store/batch_writer.h"

namespace dots::cloud {

// A BatchWriter that hands every call to another one: the base of writers that add something
// to a few calls (LiveWriter publishes after commit; tests inject failures). Not thread-safe,
// like the writer it wraps, which must outlive it.
class ForwardingWriter : public BatchWriter {
 public:
  explicit ForwardingWriter(BatchWriter& inner) : inner_(inner) {}

  Result<void> begin() override { return inner_.begin(); }
  Result<Recorded> recordBatch(const std::string& gateway, const codec::BatchId& id,
                               std::span<const std::uint8_t> digest, std::size_t readings,
                               bool historical) override {
    return inner_.recordBatch(gateway, id, digest, readings, historical);
  }
  Result<Recorded> recordDeadLetter(const std::string& gateway, const codec::BatchId& id,
                                    std::span<const std::uint8_t> digest, const Error& reason,
                                    std::span<const std::uint8_t> envelope) override {
    return inner_.recordDeadLetter(gateway, id, digest, reason, envelope);
  }
  Result<Recorded> recordPush(const std::string& endpoint, std::string_view key,
                              std::span<const std::uint8_t> digest, std::size_t readings) override {
    return inner_.recordPush(endpoint, key, digest, readings);
  }
  Result<bool> acknowledgeAlert(std::int64_t alert_id, std::span<const std::int64_t> channel_ids,
                                const AlertAck& ack) override {
    return inner_.acknowledgeAlert(alert_id, channel_ids, ack);
  }
  Result<void> commit() override { return inner_.commit(); }
  void rollback() override { inner_.rollback(); }
  Result<void> storeReadings(std::int64_t channel_id, std::string_view gateway,
                             std::span<const Reading> readings, bool historical) override {
    return inner_.storeReadings(channel_id, gateway, readings, historical);
  }
  Result<void> mergeAggregates(std::int64_t channel_id, std::string_view gateway,
                               std::span<const AggregateDelta> deltas) override {
    return inner_.mergeAggregates(channel_id, gateway, deltas);
  }
  Result<std::int64_t> recordAlert(std::int64_t channel_id, std::string_view account,
                                   std::string_view channel, const Alert& alert) override {
    return inner_.recordAlert(channel_id, account, channel, alert);
  }
  Result<void> enqueueDelivery(std::int64_t alert_id, std::string_view target,
                               std::string_view address, std::string_view payload) override {
    return inner_.enqueueDelivery(alert_id, target, address, payload);
  }

 private:
  BatchWriter& inner_;
};

}  // namespace dots::cloud
