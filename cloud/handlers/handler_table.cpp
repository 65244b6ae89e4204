#include "handlers/handler_table.h"

#include "handlers/aggregate/aggregate_handler.h"
#include "handlers/anomaly/anomaly_handler.h"
#include "handlers/filter/filter_handler.h"
#include "handlers/notify/notify_handler.h"
#include "handlers/store/store_handler.h"
#include "handlers/threshold/threshold_handler.h"
#include "pipeline/handler_params.h"

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
