#pragma once

#include <map>
#include <string>

#include "cloud/pipeline/handler.h"
#include "cloud/pipeline/handler_params.h"
#include "cloud/pipeline/sensor_map.h"

namespace dots::cloud {

// Sends the alerts raised earlier in the channel: on MQTT to dots/v1/alerts/<account>/<channel>
// (mqtt=true, the default) and/or as an HTTP POST of the alert JSON to `webhook`. At most
// `rate_per_min` alerts per sensor per minute (token bucket), so a flapping sensor cannot
// flood anyone; alerts about historical (backfilled) readings are not sent unless
// historical=true. Deliveries are queued with the batch and sent, with retries, after commit.
// Spec: notify[:mqtt=true|false,webhook=URL,rate_per_min=N,historical=false]
class NotifyHandler final : public Handler {
 public:
  static Result<std::unique_ptr<Handler>> create(HandlerParams& params);
  std::string_view kind() const override { return "notify"; }
  Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) override;
  void commit() override { buckets_.commit(); }
  void abort() override { buckets_.abort(); }

 private:
  struct Bucket {
    bool seen = false;
    double tokens = 0;
    std::int64_t at_ms = 0;
  };
  bool mqtt_ = true;
  std::string webhook_;
  double rate_per_min_ = 6;
  bool historical_ = false;
  StagedSensorStates<Bucket> buckets_;
};

}  // namespace dots::cloud
