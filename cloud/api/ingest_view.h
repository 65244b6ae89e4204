#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cloud/ingest/disk_guard.h"
#include "cloud/ingest/ingest_stats.h"

namespace dots::cloud {

// One handler's counters, as /metrics shows them.
struct HandlerView {
  std::string channel;  // account/name
  std::string handler;  // position:kind, e.g. "2:threshold"
  std::uint64_t in = 0;
  std::uint64_t out = 0;
  std::uint64_t errors = 0;
  std::uint64_t alerts = 0;
  std::uint64_t suppressed = 0;
};

struct NotifyView {
  std::uint64_t mqtt_delivered = 0;
  std::uint64_t webhook_delivered = 0;
  std::uint64_t retries = 0;
  std::uint64_t failed = 0;
  std::uint64_t blocked = 0;  // webhook attempts refused by the destination allow-list
};

// What the HTTP side shows of the running ingester: a plain copy, taken without waiting for a
// commit.
struct IngestView {
  std::string environment;
  bool broker_connected = false;
  IngestStats stats;
  NotifyView notify;
  std::vector<HandlerView> handlers;
  DiskView disk;  // the data folder's free-disk watermark
};

// Healthy: connected to the broker and the disk above its watermark (/healthz answers 200,
// otherwise 503 with the reason in "status").
bool healthy(const IngestView& view);

// Prometheus text format.
std::string renderMetrics(const IngestView& view);
// /healthz's JSON body (no trailing newline).
std::string renderHealth(const IngestView& view);

}  // namespace dots::cloud
