#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/spool/spool.h"
#include "gateway/uplink/delivery.h"
#include "gateway/uplink/sealer.h"
#include "gateway/uplink/spool_appender.h"
#include "gateway/uplink/uplink_counters.h"
#include "shared/codec/ack_codec.h"
#include "shared/log/log.h"
#include "shared/model/reading.h"
#include "shared/mqtt/connection.h"

namespace dots::gateway {

struct UplinkOptions {
  SealerOptions seal;  // the gateway id names the topics too
  DeliveryOptions delivery;
  SpoolLimits spool;
};

// The gateway's way to the cloud: seals batches (Sealer), keeps them in the spool
// (SpoolAppender) and delivers them on dots/v1/<gw>/up (Delivery) until the ingester's commit
// ack for each arrives on dots/v1/<gw>/ack; an ack that fails authentication, or names a batch
// of this run never sealed, is dropped and counted. Batches sealed while the uplink is down are
// flagged historical. submit() and service() run on the gateway's loop thread only; the
// connection's callbacks only queue work and call `wake`.
class Uplink {
 public:
  // `connection` is the cloud broker's, not yet started; `wall_ms` is the wall clock (ms since
  // the Unix epoch) for the epoch, the spool's creation times and its age limit.
  Uplink(UplinkOptions options, Spool spool, std::unique_ptr<mqtt::Connection> connection,
         std::function<void()> wake, std::function<std::int64_t()> wall_ms);
  ~Uplink();

  // Draws this run's random value, reserves its epoch in the spool and starts connecting.
  // Throws on a spool error.
  void start();
  // Seals `batch` under the next (epoch, seq) and appends it to the spool.
  void submit(Batch&& batch);
  // Applies acks, handles reconnects, sends and resends. Cheap when there is nothing to do.
  void service(std::chrono::steady_clock::time_point now);
  // True when a connection callback queued work for service().
  bool hasWork() const;

  // Publishes a retained status message (JSON) on dots/v1/<gw>/status; best effort.
  void publishStatus(const std::string& json);
  // Stops the connection; the spool stays as it is.
  void stop();

  bool connected() const { return connection_->isConnected(); }
  const UplinkCounters& counters() const { return counters_; }
  const Spool& spool() const { return spool_; }
  Spool& spool() { return spool_; }
  std::uint32_t epoch() const { return sealer_.epoch(); }
  std::uint64_t run() const { return sealer_.run(); }
  std::size_t inflight() const { return delivery_.inflight(); }
  // Backlog batches sent and not yet acknowledged.
  std::size_t backlogBatches() const { return delivery_.backlogBatches(); }
  bool backfilling() const { return delivery_.backfilling(); }

 private:
  void onAckMessage(std::span<const std::uint8_t> payload);
  // False (counted, logged) when `ack` names a batch of this run that was never sealed.
  bool namesOnlySealed(const codec::AckContent& ack);

  std::string gateway_id_;
  std::uint32_t key_id_;
  seal::Key ack_key_;  // derived from the endpoint key for acks
  Spool spool_;
  std::unique_ptr<mqtt::Connection> connection_;
  std::function<void()> wake_;
  std::function<std::int64_t()> wall_ms_;
  std::string status_topic_;
  UplinkCounters counters_;
  Sealer sealer_;
  SpoolAppender appender_;
  Delivery delivery_;
  std::chrono::steady_clock::time_point next_age_check_{};
  log::RateLimiter log_limiter_;

  mutable std::mutex queue_mutex_;
  std::vector<codec::AckContent> acks_;
  bool reconnected_ = false;
};

}  // namespace dots::gateway
