#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.h"
#include "http/http_api.h"
#include "log/log.h"
#include "mqtt/client.h"
#include "notify/notifier.h"
#include "pipeline/channel.h"
#include "registry/registry.h"
#include "seal/envelope.h"
#include "senml/payload_parser.h"
#include "store/reading_store.h"
#include "stream/stream_source.h"

namespace dots::cloud {

struct IngestOptions {
  std::string data_dir;
  std::string broker = "tcp://127.0.0.1:1883";
  std::string environment = "default";
  std::string http;  // HOST:PORT for /healthz, /metrics and /api; empty: no HTTP
  std::string username;
  std::string password;
  std::string ca_file;
  std::size_t max_group = 512;  // batches committed in one transaction at most
  // Opened batches waiting (two groups); beyond it the MQTT thread waits, and so the broker.
  std::size_t queue_limit = 1024;
  std::chrono::seconds stats_interval{10};
};

// Counts of what the ingester did, by outcome; a snapshot is a plain copy.
struct IngestStats {
  std::uint64_t messages = 0;
  std::uint64_t batches_stored = 0;
  std::uint64_t readings_stored = 0;  // readings of new batches, before channels
  std::uint64_t duplicates = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t other_environment = 0;
  std::map<std::string, std::uint64_t> rejected;          // by reason
  std::map<std::string, std::uint64_t> endpoint_batches;  // by gateway
  std::map<std::string, std::uint64_t> endpoint_readings;
  std::map<std::string, std::uint64_t> stream_messages;  // by stream
};

// dots-ingest's core for one environment. Takes sealed batches from dots/v1/+/up (a shared
// subscription per environment, so replicas split the load), finds the endpoint by the gateway
// id in the topic, opens and verifies each batch, routes its readings to the channels of this
// environment, and commits the idempotency keys and everything the handlers wrote in one
// transaction per group of batches; then acks them on dots/v1/<gw>/ack and lets the notifier
// deliver new alerts. Streams of this environment feed their channels the same way. Registry
// changes are picked up without a restart. Rejections are counted by reason and logged,
// rate-limited; nothing rejected is acknowledged.
class Ingester {
 public:
  // Opens the registry and the store; throws std::runtime_error when it cannot.
  explicit Ingester(IngestOptions options);
  ~Ingester();

  void start();
  // Finishes the batches already taken, then disconnects.
  void stop();
  IngestStats stats() const;
  std::string metricsText() const;
  bool healthy(std::string& body) const;
  int httpPort() const { return http_ ? http_->port() : 0; }

 private:
  // What admitting a batch needs from the registry: rebuilt on the worker thread, read on the
  // MQTT thread, which opens batches as they arrive (in parallel with the worker's commits).
  struct Admission {
    std::unordered_map<std::string, Endpoint> endpoints;
    std::unordered_map<std::string, std::string> served_by;  // gateway -> environment
    std::unordered_set<std::string> routed;                  // gateways with a route here
  };
  struct Message {
    std::string topic;
    std::vector<std::uint8_t> payload;
    std::int64_t stream_id = 0;                             // 0: a gateway batch
    Result<IncomingBatch> admitted = fail("unopened", "");  // a gateway batch, opened
    std::shared_ptr<const Admission> admitted_with;         // the registry it was checked against
  };
  struct RouteTarget {
    Channel* channel;
    std::string sensors;
  };
  void onMessage(std::string_view topic, std::span<const std::uint8_t> payload,
                 std::int64_t stream_id);
  void work();
  void sendAcks();
  void process(std::vector<Message>& messages);
  // Finds the endpoint, opens and decodes a batch (on the MQTT thread as it arrives); `used` is
  // the admission table it was checked against.
  Result<IncomingBatch> admit(std::string_view topic, std::span<const std::uint8_t> payload,
                              std::shared_ptr<const Admission>& used);
  void reject(const Error& error, std::string_view topic);
  std::shared_ptr<const Admission> currentAdmission() const;
  void reloadRegistryIfChanged();
  Result<void> runChannels(const std::string& gateway, Batch& batch);
  Result<void> runStream(const Message& message);
  void logStats(bool final);

  IngestOptions options_;
  std::unique_ptr<Registry> registry_;
  ReadingStore store_;
  mqtt::Client client_;
  Notifier notifier_;
  std::unique_ptr<HttpApi> http_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::condition_variable space_cv_;
  std::deque<Message> queue_;
  bool stopping_ = false;
  std::thread worker_;
  // Acks of committed batches, for the acker thread.
  std::mutex ack_mutex_;
  std::condition_variable ack_cv_;
  std::deque<std::pair<std::string, std::vector<std::uint8_t>>> ack_queue_;
  bool ack_stopping_ = false;
  std::thread acker_;

  // Topology, rebuilt from the registry on the worker thread; topology_mutex_ guards it
  // against readers of metrics.
  mutable std::mutex topology_mutex_;
  std::int64_t registry_version_ = -1;
  std::map<std::int64_t, std::unique_ptr<Channel>> channels_;         // this environment's
  std::unordered_map<std::string, std::vector<RouteTarget>> routes_;  // by gateway
  std::map<std::int64_t, std::unique_ptr<StreamSource>> streams_;
  // The admission table the MQTT thread reads (replaced whole on a registry change), and that
  // thread's ciphers for it.
  mutable std::mutex admission_mutex_;
  std::shared_ptr<const Admission> admission_;
  std::mutex cipher_mutex_;
  std::shared_ptr<const Admission> ciphers_for_;
  std::map<std::pair<std::string, std::uint32_t>, std::unique_ptr<seal::AesGcm>> ciphers_;
  senml::PayloadParser stream_parser_;
  log::RateLimiter log_limiter_;

  mutable std::mutex stats_mutex_;
  IngestStats stats_;
  IngestStats logged_;
};

}  // namespace dots::cloud
