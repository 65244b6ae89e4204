#pragma once

#include <vector>

#include "cloud/api/event_hub.h"
#include "cloud/store/forwarding_writer.h"
#include "cloud/store/row_json.h"

namespace dots::cloud {

// The commit worker's BatchWriter with live events: while a client listens, what the handlers
// store (readings) and raise (alerts) in a group's transaction is kept aside, and handed to the
// EventHub once the transaction has committed; a rollback drops it. Not thread-safe, like the
// writer it wraps.
class LiveWriter final : public ForwardingWriter {
 public:
  LiveWriter(BatchWriter& inner, EventHub& hub) : ForwardingWriter(inner), hub_(hub) {}

  Result<void> begin() override {
    pending_.clear();
    return ForwardingWriter::begin();
  }
  Result<void> commit() override {
    auto r = ForwardingWriter::commit();
    if (r) hub_.publish(pending_);
    pending_.clear();
    return r;
  }
  void rollback() override {
    pending_.clear();
    ForwardingWriter::rollback();
  }
  Result<void> storeReadings(std::int64_t channel_id, std::string_view gateway,
                             std::span<const Reading> readings, bool historical) override {
    auto r = ForwardingWriter::storeReadings(channel_id, gateway, readings, historical);
    if (r && !readings.empty() && hub_.listening()) {
      CommittedEvent e;
      e.channel_id = channel_id;
      e.gateway = gateway;
      e.readings.assign(readings.begin(), readings.end());
      e.historical = historical;
      pending_.push_back(std::move(e));
    }
    return r;
  }
  Result<std::int64_t> recordAlert(std::int64_t channel_id, std::string_view account,
                                   std::string_view channel, const Alert& alert) override {
    auto id = ForwardingWriter::recordAlert(channel_id, account, channel, alert);
    if (id && hub_.listening()) {
      CommittedEvent e;
      e.channel_id = channel_id;
      e.account = account;
      e.gateway = alert.gateway;
      e.alert_json = alertJson(*id, account, channel, alert);
      pending_.push_back(std::move(e));
    }
    return id;
  }

 private:
  EventHub& hub_;
  std::vector<CommittedEvent> pending_;
};

}  // namespace dots::cloud
