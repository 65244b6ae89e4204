#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "cloud/api/event_hub.h"
#include "cloud/api/http_api.h"
#include "cloud/api/ingest_view.h"
#include "cloud/api/live_writer.h"
#include "cloud/ingest/acker.h"
#include "cloud/ingest/admitter.h"
#include "cloud/ingest/commit_worker.h"
#include "cloud/ingest/disk_guard.h"
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
  HttpOptions http;  // address HOST:PORT for /healthz, /metrics and /api; empty: no HTTP
  std::string username;
  std::string password;
  std::string ca_file;    // required for ssl:// brokers
  std::string cert_file;  // client certificate and key (PEM), both or neither
  std::string key_file;
  // The registry's key-encryption key (RegistryOptions::kek); none: plaintext keys.
  std::optional<seal::Key> kek;
  std::size_t max_group = 512;  // batches committed in one transaction at most
  // Opened batches waiting (two groups); beyond it the MQTT thread waits, and so the broker.
  std::size_t queue_limit = 1024;
  std::size_t queue_bytes = 256u << 20;  // and the memory they take, at most
  int dead_letter_after = 3;
  RateLimits endpoint_rate;  // off by default
  std::chrono::seconds stats_interval{10};
  // The data folder's free-disk watermark (below it nothing is committed nor acknowledged).
  WatermarkOptions disk;
  // How often expired rows are looked for, and how many one pass deletes at most.
  std::chrono::milliseconds retention_interval{60'000};
  std::size_t retention_rows = 4000;
  // How long the dedup ledger keeps a batch key (0: for good); see CommitParts.
  std::chrono::milliseconds ledger_window{30LL * 86'400'000};
};

// The broker connection's options for `options` (main checks them before start).
mqtt::ClientOptions clientOptions(const IngestOptions& options);

// dots-ingest for one environment, wired from its parts along the data path:
//   intake (UplinkIntake: dots/v1/+/up, admitted on arrival by the Admitter; StreamIntake)
//   -> IntakeQueue -> CommitWorker (routing snapshot from the Topology, channels and their
//   handlers, one BatchWriter transaction per group) -> Acker (dots/v1/<gw>/ack) and Notifier
//   (the outbox), with the HttpApi reading through its own query connection. Between groups the
//   worker runs the retention passes; the DiskGuard stops it committing (and so acknowledging)
//   while the data folder's disk is below its watermark.
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
  // Publishes the disk alert on dots/v1/alerts/<account> of every account with a channel here;
  // false when a publish failed (the guard calls again).
  bool publishDiskAlert(DiskWatermark::Change change, const DiskView& disk);

  IngestOptions options_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<BatchWriter> writer_;
  EventHub events_;  // committed readings and alerts, for the live clients of the HTTP side
  LiveWriter live_;  // writer_, publishing to events_ after each commit
  std::unique_ptr<ReadingQueries> queries_;
  mqtt::Client client_;
  StatsBoard stats_;
  IntakeQueue queue_;
  Topology topology_;
  Admitter admitter_;
  StreamIntake streams_;
  GatewayStatusBoard statuses_;  // what each gateway last said on its status topic
  UplinkIntake uplink_;
  Acker acker_;
  Notifier notifier_;
  DiskGuard disk_;
  CommitWorker worker_;
  std::unique_ptr<TokenGate> gate_;
  std::unique_ptr<HttpApi> http_;
  bool started_ = false;
};

}  // namespace dots::cloud
