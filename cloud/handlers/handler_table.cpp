#include "cloud/handlers/handler_table.h"

#include "cloud/handlers/aggregate/aggregate_handler.h"
#include "cloud/handlers/anomaly/anomaly_handler.h"
#include "cloud/handlers/filter/filter_handler.h"
#include "cloud/handlers/notify/notify_handler.h"
#include "cloud/handlers/store/store_handler.h"
#include "cloud/handlers/threshold/threshold_handler.h"
#include "cloud/pipeline/handler_params.h"

namespace dots::cloud {

Result<std::unique_ptr<Handler>> makeHandler(std::string_view spec) {
  auto params = HandlerParams::parse(spec);
  if (!params) return std::unexpected(params.error());
  const std::string& type = params->type();
  if (type == "filter") return FilterHandler::create(*params);
  if (type == "store") return StoreHandler::create(*params);
  if (type == "aggregate") return AggregateHandler::create(*params);
  if (type == "threshold") return ThresholdHandler::create(*params);
  if (type == "anomaly") return AnomalyHandler::create(*params);
  if (type == "notify") return NotifyHandler::create(*params);
  return fail("bad-handler", "unknown handler type \"" + type +
                                 "\" (filter, store, aggregate, threshold, anomaly, notify)");
}

}  // namespace dots::cloud
