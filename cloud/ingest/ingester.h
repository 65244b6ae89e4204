#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "cloud/api/http_api.h"
#include "cloud/api/ingest_view.h"
#include "cloud/ingest/acker.h"
#include "cloud/ingest/admitter.h"
#include "cloud/ingest/commit_worker.h"
#include "cloud/ingest/ingest_stats.h"
#include "cloud/ingest/routing.h"
#include "cloud/intake/intake_queue.h"
#include "cloud/intake/stream_intake.h"
#include "cloud/intake/uplink_intake.h"
#include "cloud/notify/notifier.h"
#include "cloud/registry/registry.h"
#include "cloud/store/batch_writer.h"
#include "cloud/store/reading_queries.h"
#include "shared/mqtt/client.h"

namespace dots::cloud {

struct IngestOptions {
  std::string data_dir;
  std::string broker = "tcp://127.0.0.1:1883";
  std::string environment = "default";
  std::string http;  // HOST:PORT for /healthz, /metrics and /api; empty: no HTTP
  std::string username;
  std::string password;
  std::string ca_file;
  // The registry's key-encryption key (RegistryOptions::kek); none: plaintext keys.
  std::optional<seal::Key> kek;
  std::size_t max_group = 512;  // batches committed in one transaction at most
  // Opened batches waiting (two groups); beyond it the MQTT thread waits, and so the broker.
  std::size_t queue_limit = 1024;
  std::chrono::seconds stats_interval{10};
};

// dots-ingest for one environment, wired from its parts along the data path:
//   intake (UplinkIntake: dots/v1/+/up, admitted on arrival by the Admitter; StreamIntake)
//   -> IntakeQueue -> CommitWorker (routing snapshot from the Topology, channels and their
//   handlers, one BatchWriter transaction per group) -> Acker (dots/v1/<gw>/ack) and Notifier
//   (the outbox), with the HttpApi reading through its own query connection.
class Ingester {
 public:
  // Opens the registry and the store; throws std::runtime_error when it cannot.
  explicit Ingester(IngestOptions options);
  ~Ingester();

  void start();
  // Finishes the batches already taken, then disconnects.
  void stop();
  IngestStats stats() const { return stats_.snapshot(); }
  IngestView view() const;
  int httpPort() const { return http_ ? http_->port() : 0; }

 private:
  IngestOptions options_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<BatchWriter> writer_;
  std::unique_ptr<ReadingQueries> queries_;
  mqtt::Client client_;
  StatsBoard stats_;
  IntakeQueue queue_;
  Topology topology_;
  Admitter admitter_;
  StreamIntake streams_;
  UplinkIntake uplink_;
  Acker acker_;
  Notifier notifier_;
  CommitWorker worker_;
  std::unique_ptr<HttpApi> http_;
  bool started_ = false;
};

}  // namespace dots::cloud
