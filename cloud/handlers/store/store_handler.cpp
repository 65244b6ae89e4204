#include "cloud/handlers/store/store_handler.h"

#include "shared/text/glob.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> StoreHandler::create(HandlerParams& params) {
  auto h = std::make_unique<StoreHandler>();
  auto sensors = params.text("sensors", "*");
  if (!sensors) return std::unexpected(sensors.error());
  h->sensors_ = *sensors;
  if (auto r = params.rejectUnknown(); !r) return std::unexpected(r.error());
  return std::unique_ptr<Handler>(std::move(h));
}

Result<void> StoreHandler::process(std::vector<Reading>& readings, HandlerContext& ctx) {
  counters_.in.fetch_add(readings.size());
  std::span<const Reading> out = readings;
  if (sensors_ != "*") {
    selected_.clear();
    for (const Reading& r : readings) {
      if (globMatch(sensors_, r.name)) selected_.push_back(r);
    }
    out = selected_;
  }
  auto r = ctx.sink.storeReadings(ctx.channel_id, ctx.gateway, out, ctx.historical);
  if (!r) {
    counters_.errors.fetch_add(1);
    return r;
  }
  counters_.out.fetch_add(out.size());
  return {};
}

}  // namespace dots::cloud
