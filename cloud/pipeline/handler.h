#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cloud/store/channel_sink.h"
#include "shared/error/error.h"
#include "shared/model/reading.h"

namespace dots::cloud {

// What a handler knows about the readings in hand.
struct HandlerContext {
  std::int64_t channel_id = 0;
  std::string_view account;
  std::string_view channel;
  std::string_view gateway;
  bool historical = false;  // from a gateway's backlog
  ChannelSink& sink;
  // Alerts raised by handlers earlier in the chain, for a notify handler further on.
  std::vector<std::pair<std::int64_t, Alert>> alerts;
};

// Per handler instance: readings in and out, errors, alerts raised, things suppressed.
struct HandlerCounters {
  std::atomic<std::uint64_t> in{0};
  std::atomic<std::uint64_t> out{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> alerts{0};
  std::atomic<std::uint64_t> suppressed{0};
};

// One processing step of a channel. Built from a validated spec at start-up (or when the
// registry changes), so the data path never parses configuration. Called on the ingester's
// worker thread only; counters may be read from any thread.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual std::string_view kind() const = 0;
  // Processes `readings` in place: a filter removes some; the others observe them and write
  // through ctx.sink. Errors abort the batch group's transaction.
  virtual Result<void> process(std::vector<Reading>& readings, HandlerContext& ctx) = 0;
  // The batch group's transaction committed: keep the state changes made since the last call.
  virtual void commit() {}
  // The transaction rolled back: undo them (the batches will come again).
  virtual void abort() {}
  const HandlerCounters& counters() const { return counters_; }

 protected:
  // Records `alert` through the sink, counts it, and hands it to later handlers (notify).
  Result<void> raiseAlert(Alert alert, HandlerContext& ctx) {
    auto id = ctx.sink.recordAlert(ctx.channel_id, ctx.account, ctx.channel, alert);
    if (!id) {
      counters_.errors.fetch_add(1);
      return std::unexpected(id.error());
    }
    counters_.alerts.fetch_add(1);
    ctx.alerts.emplace_back(*id, std::move(alert));
    return {};
  }
  // The same for a detector's alert about reading `r`: raised, or cleared when `raised` is false.
  Result<void> raiseAlert(std::string kind, const Reading& r, bool raised, std::string message,
                          HandlerContext& ctx) {
    Alert alert;
    alert.kind = std::move(kind);
    alert.state = raised ? "raised" : "cleared";
    alert.gateway = std::string(ctx.gateway);
    alert.sensor = r.name;
    alert.value = r.value;
    alert.time_ms = r.time_ms;
    alert.historical = ctx.historical;
    alert.message = std::move(message);
    return raiseAlert(std::move(alert), ctx);
  }

  HandlerCounters counters_;
};

}  // namespace dots::cloud
