#pragma once

#include <string>

#include "cloud/ingest/admitter.h"
#include "cloud/ingest/ingest_stats.h"
#include "cloud/ingest/routing.h"
#include "cloud/intake/gateway_status.h"
#include "cloud/intake/intake_queue.h"
#include "shared/mqtt/connection.h"

namespace dots::cloud {

// The gateways' uplink: subscribes to $share/<environment>/dots/v1/+/up (so replicas of one
// environment split the load) and admits each sealed batch on the MQTT thread as it arrives,
// in parallel with the worker's commits, before queueing it. It also follows every gateway's
// status (dots/v1/+/status, not shared: each replica knows every gateway's) on `statuses`, for
// the gateways that have an endpoint; other statuses are counted ("unknown-gateway"). Whatever a
// message makes the handler throw (std::bad_alloc included) is a counted rejection
// ("internal-error"), never the end of the process.
class UplinkIntake {
 public:
  // Registers the subscription and the handler on `client`; call before client.start().
  UplinkIntake(mqtt::Connection& client, const std::string& environment, Admitter& admitter,
               const Topology& topology, IntakeQueue& queue, StatsBoard& stats,
               GatewayStatusBoard& statuses);
};

}  // namespace dots::cloud
