#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cloud/ingest/admitter.h"
#include "cloud/notify/webhook_directory.h"
#include "cloud/pipeline/channel.h"
#include "cloud/registry/registry.h"
#include "cloud/store/store_pruner.h"
#include "shared/net/destination_policy.h"

namespace dots::cloud {

// Where one gateway's readings go: a channel of this environment, for the sensors matching
// `sensors` (a glob).
struct RouteTarget {
  Channel* channel;
  std::string sensors;
};

// The registry as this environment's ingester uses it, at one registry version: admission,
// channels, routes and streams. Never changed once built: a registry change builds a new one,
// which takes over the channels whose handler specs did not change (with their handlers' state),
// and is swapped in whole. The channels' handlers run on the commit worker only; their counters
// may be read through any snapshot from any thread.
struct RoutingSnapshot {
  std::int64_t registry_version = -1;
  std::shared_ptr<const AdmissionTable> admission;
  std::map<std::int64_t, std::shared_ptr<Channel>> channels;         // this environment's
  std::unordered_map<std::string, std::vector<RouteTarget>> routes;  // by gateway
  std::map<std::int64_t, Stream> streams;   // this environment's, feeding a channel here
  std::vector<ChannelRetention> retention;  // of this environment's channels
  // The registry's destination allow-list, for streams' brokers and webhooks.
  std::shared_ptr<const net::DestinationPolicy> destinations;
  std::shared_ptr<const WebhookDirectory> webhooks;  // every channel's

  void commitHandlers() const;
  void abortHandlers() const;
};

// Holds the current snapshot and rebuilds it when the registry's version changes. refresh()
// runs on the commit worker; current() from any thread, and never waits for a commit.
class Topology {
 public:
  Topology(Registry& registry, std::string environment);

  // Rebuilds the snapshot if the registry changed; true when it did. A registry that cannot be
  // read keeps the old snapshot (logged).
  bool refresh();
  std::shared_ptr<const RoutingSnapshot> current() const;

 private:
  Registry& registry_;
  std::string environment_;
  mutable std::mutex mutex_;
  std::shared_ptr<const RoutingSnapshot> current_;
};

}  // namespace dots::cloud
