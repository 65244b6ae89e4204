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
  std::atomic<std::uint64_t> batches_acked{0};
  std::atomic<std::uint64_t> readings_acked{0};
  std::atomic<std::uint64_t> batches_dropped{0};
  std::atomic<std::uint64_t> readings_dropped{0};
  std::atomic<std::uint64_t> acks_rejected{0};
  std::atomic<std::uint64_t> spool_errors{0};
};

// Seals batches, keeps them in the spool, and delivers them to the cloud on dots/v1/<gw>/up
// until the ingester's commit ack for each arrives on dots/v1/<gw>/ack. At most max_inflight
// batches are unacknowledged at a time; a batch unacknowledged after ack_timeout is sent again,
// and after every reconnect everything in the spool is sent again, oldest first.
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

 private:
  struct InFlight {
    std::chrono::steady_clock::time_point sent_at;
  };
  void onAckMessage(std::span<const std::uint8_t> payload);
  void applyAcks(const std::vector<codec::SeqRange>& ranges);
  bool send(const SpoolEntry& entry);

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
  std::int64_t cursor_ = 0;                    // highest spool id sent on this connection
  UplinkCounters counters_;
  log::RateLimiter log_limiter_;

  mutable std::mutex queue_mutex_;
  std::vector<codec::SeqRange> acks_;
  bool reconnected_ = false;
};

}  // namespace dots::gateway
