#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "codec/ack_codec.h"
#include "config/gateway_config.h"
#include "core/reading.h"
#include "log/log.h"
#include "mqtt/client.h"
#include "seal/envelope.h"
#include "spool/spool.h"

namespace dots::gateway {

struct UplinkCounters {
  std::atomic<std::uint64_t> batches_spooled{0};
  std::atomic<std::uint64_t> readings_spooled{0};
  std::atomic<std::uint64_t> batches_sent{0};
  std::atomic<std::uint64_t> batches_resent{0};
  std::atomic<std::uint64_t> batches_backfilled{0};
  std::atomic<std::uint64_t> sealed_bytes{0};  // sealed envelopes spooled
  std::atomic<std::uint64_t> wire_bytes{0};    // envelope bytes published, resends included
  std::atomic<std::uint64_t> batches_acked{0};
  std::atomic<std::uint64_t> readings_acked{0};
  std::atomic<std::uint64_t> batches_dropped{0};
  std::atomic<std::uint64_t> readings_dropped{0};
  std::atomic<std::uint64_t> acks_rejected{0};
  std::atomic<std::uint64_t> spool_errors{0};
};

// Seals batches, keeps them in the spool, and delivers them to the cloud on dots/v1/<gw>/up
// until the ingester's commit ack for each arrives on dots/v1/<gw>/ack. At most max_inflight
// live batches are unacknowledged at a time; a batch unacknowledged after ack_timeout is sent
// again. After every (re)connect, what the spool holds is the backlog: it is sent again, oldest
// first, paced at backfill_readings_per_s and using at most half the window, while batches
// sealed since go first. Batches sealed while the uplink is down are flagged historical.
// submit() and service() run on the gateway's loop thread only; MQTT callbacks only queue work
// and call `wake`.
class Uplink {
 public:
  Uplink(const GatewayConfig& config, Spool spool, std::function<void()> wake);
  ~Uplink();

  // Reserves this run's epoch in the spool and starts connecting. Throws on a spool error.
  void start();
  // Seals `batch` under the next (epoch, seq) and appends it to the spool.
  void submit(Batch&& batch);
  // Applies acks, handles reconnects, sends and resends. Cheap when there is nothing to do.
  void service(std::chrono::steady_clock::time_point now);
  // True when an MQTT callback queued work for service().
  bool hasWork() const;

  // Publishes a retained status message (JSON) on dots/v1/<gw>/status; best effort.
  void publishStatus(const std::string& json);
  // Stops the MQTT client; the spool stays as it is.
  void stop();

  bool connected() const { return client_.isConnected(); }
  const UplinkCounters& counters() const { return counters_; }
  const Spool& spool() const { return spool_; }
  Spool& spool() { return spool_; }
  std::uint32_t epoch() const { return epoch_; }
  std::size_t inflight() const { return inflight_.size(); }
  // Backlog batches sent and not yet acknowledged.
  std::size_t backlogBatches() const;
  bool backfilling() const { return backlog_cursor_ < backlog_end_ || backlogBatches() > 0; }

 private:
  struct InFlight {
    std::chrono::steady_clock::time_point sent_at;
    bool backlog = false;
  };
  void onAckMessage(std::span<const std::uint8_t> payload);
  void applyAcks(const std::vector<codec::SeqRange>& ranges);
  bool send(const SpoolEntry& entry);
  bool resendOverdue(std::chrono::steady_clock::time_point now);
  bool sendLive(std::chrono::steady_clock::time_point now);
  void sendBacklog(std::chrono::steady_clock::time_point now);
  void enforceMaxAge();

  const GatewayConfig& config_;
  Spool spool_;
  std::function<void()> wake_;
  seal::AesGcm gcm_;
  mqtt::Client client_;
  std::string up_topic_;
  std::string status_topic_;
  std::uint32_t epoch_ = 0;
  std::uint64_t next_seq_ = 0;
  std::map<std::int64_t, InFlight> inflight_;  // spool id -> when last sent
  // Spool ids up to backlog_end_ were there at the last (re)connect: the backlog, sent at the
  // backfill pace after live batches (ids above it).
  std::int64_t backlog_end_ = 0;
  std::int64_t backlog_cursor_ = 0;  // highest backlog id sent on this connection
  std::int64_t live_cursor_ = 0;     // highest live id sent on this connection
  double backfill_tokens_ = 0;       // readings that may be backfilled now
  std::chrono::steady_clock::time_point last_refill_{};
  std::chrono::steady_clock::time_point next_age_check_{};
  UplinkCounters counters_;
  log::RateLimiter log_limiter_;

  mutable std::mutex queue_mutex_;
  std::vector<codec::SeqRange> acks_;
  bool reconnected_ = false;
};

}  // namespace dots::gateway
