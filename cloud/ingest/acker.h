#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cloud/ingest/ingest_stats.h"
#include "shared/codec/ack_codec.h"
#include "shared/mqtt/client.h"

namespace dots::cloud {

// One gateway's ack for one commit: what was stored and what was dead-lettered, to be signed
// under the ack key of `key_id`.
struct GatewayAck {
  std::string gateway;
  std::uint32_t key_id = 0;
  std::shared_ptr<const seal::Key> ack_key;
  std::vector<codec::BatchId> stored;
  std::vector<codec::BatchId> rejected;
};

// Publishes commit acks on dots/v1/<gw>/ack from a thread of its own: Paho holds its client
// lock while its receive thread waits in the uplink intake for queue space, so the commit
// worker must never wait on a publish. At most kWindow acks are unacknowledged by the broker at
// a time: the client library searches its lists of queued and in-flight messages on every
// publish, so long lists cost per ack.
class Acker {
 public:
  static constexpr std::size_t kWindow = 32;

  Acker(mqtt::Client& client, StatsBoard& stats) : client_(client), stats_(stats) {}
  ~Acker() { stop(); }

  void start();
  // Publishes what is queued, then returns.
  void stop();
  // Signs and queues the acks of the batches just committed, one per gateway (any thread).
  void enqueue(std::vector<GatewayAck> acks);

 private:
  void run();

  mqtt::Client& client_;
  StatsBoard& stats_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::vector<std::uint8_t>>> queue_;  // topic, ack
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dots::cloud
