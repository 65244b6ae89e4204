#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "cloud/ingest/admitter.h"
#include "shared/error/error.h"

namespace dots::cloud {

struct RoutingSnapshot;

// A sealed batch from a gateway (dots/v1/<gw>/up), admitted as it arrived.
struct GatewayMessage {
  std::string topic;
  std::vector<std::uint8_t> payload;
  Result<IncomingBatch> admitted = fail("unopened", "");
  // The snapshot it was admitted against: the worker admits it again if the registry changed.
  std::shared_ptr<const RoutingSnapshot> admitted_with;
};

// One of a stream's places in the intake queue: freed when the message is gone (handled or
// dropped), whatever thread that happens on.
struct QueueSlot {
  explicit QueueSlot(std::shared_ptr<std::atomic<std::int64_t>> count)
      : pending(std::move(count)) {}
  ~QueueSlot() { pending->fetch_sub(1); }
  QueueSlot(const QueueSlot&) = delete;
  QueueSlot& operator=(const QueueSlot&) = delete;
  std::shared_ptr<std::atomic<std::int64_t>> pending;
};

// A message pulled from another system by a stream (SenML JSON, a JSON object or a number).
struct StreamMessage {
  std::int64_t stream_id = 0;
  std::string topic;
  std::vector<std::uint8_t> payload;
  std::shared_ptr<QueueSlot> slot;  // null when not counted against a stream's queue
};

// What every intake hands the commit worker.
using IncomingMessage = std::variant<GatewayMessage, StreamMessage>;

}  // namespace dots::cloud
