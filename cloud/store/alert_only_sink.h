#pragma once

#include <vector>

#include "cloud/store/channel_sink.h"

namespace dots::cloud {

// A sink that keeps the alerts handlers raise and drops everything else they write: for
// running detectors outside the ingester (benchmarks, offline scoring). Not thread-safe.
class AlertOnlySink final : public ChannelSink {
 public:
  std::vector<Alert> alerts;

  Result<void> storeReadings(std::int64_t, std::string_view, std::span<const Reading>,
                             bool) override {
    return {};
  }
  Result<void> mergeAggregates(std::int64_t, std::string_view,
                               std::span<const AggregateDelta>) override {
    return {};
  }
  Result<std::int64_t> recordAlert(std::int64_t, std::string_view, std::string_view,
                                   const Alert& a) override {
    alerts.push_back(a);
    return static_cast<std::int64_t>(alerts.size());
  }
  Result<void> enqueueDelivery(std::int64_t, std::string_view, std::string_view,
                               std::string_view) override {
    return {};
  }
};

}  // namespace dots::cloud
