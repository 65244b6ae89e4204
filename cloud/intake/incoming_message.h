#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "cloud/ingest/admitter.h"
#include "shared/error/error.h"
#include "shared/model/reading.h"

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

// How a pushed message ended, for the HTTP request waiting on it: `stored` readings (0 for a
// duplicate), or the reason it was not ("conflict": another body under a used key;
// "store-error"; "no-such-endpoint", "other-environment").
struct PushOutcome {
  Result<void> result;
  bool duplicate = false;
  std::size_t stored = 0;
};

// SenML readings POSTed to /api/v1/push/<endpoint> by a partner system, parsed on the HTTP
// thread, stored under the request's Idempotency-Key in the same transaction as their effects.
struct PushMessage {
  std::string endpoint;
  std::string key;                        // the Idempotency-Key header
  std::array<std::uint8_t, 32> digest{};  // SHA-256 of the body
  std::vector<Reading> readings;
  std::shared_ptr<std::promise<PushOutcome>> done;  // set once, after the commit (or its failure)
};

// An acknowledgement of an alert by an account's token (POST /api/v1/alerts/ID/ack), written by
// the commit worker like everything else the store holds. `done` is set after the commit: true,
// or false when the alert is not one of `channel_ids`'.
struct AckMessage {
  std::int64_t alert_id = 0;
  std::vector<std::int64_t> channel_ids;
  std::string by;
  std::int64_t at_ms = 0;
  std::shared_ptr<std::promise<Result<bool>>> done;
};

// What every intake hands the commit worker.
using IncomingMessage = std::variant<GatewayMessage, StreamMessage, PushMessage, AckMessage>;

}  // namespace dots::cloud
