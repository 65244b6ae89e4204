#include "cloud/ingest/ingester.h"

#include <unistd.h>

#include <set>
#include <stdexcept>

#include "cloud/store/serial_queries.h"
#include "cloud/store/sqlite/sqlite_outbox.h"
#include "cloud/store/sqlite/sqlite_queries.h"
#include "cloud/store/sqlite/sqlite_writer.h"
#include "shared/json/json_writer.h"
#include "shared/time/clock.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

namespace {

template <typename T>
T orThrow(Result<T> r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().describe());
  return std::move(*r);
}

}  // namespace

mqtt::ClientOptions clientOptions(const IngestOptions& o) {
  mqtt::ClientOptions c;
  c.uri = o.broker;
  c.client_id = "dots-ingest-" + o.environment + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(wallMillis() % 100000);
  c.clean_session = true;  // gateways resend what is not acknowledged
  c.username = o.username;
  c.password = o.password;
  c.ca_file = o.ca_file;
  c.cert_file = o.cert_file;
  c.key_file = o.key_file;
  c.max_inflight = 4096;
  c.min_backoff = std::chrono::milliseconds(100);
  c.max_backoff = std::chrono::milliseconds(5000);
  c.log_name = "ingest-mqtt";
  return c;
}

Ingester::Ingester(IngestOptions options)
    : options_(std::move(options)),
      registry_(orThrow(Registry::open(options_.data_dir, RegistryOptions{options_.kek, false}),
                        "cannot open the registry in " + options_.data_dir)),
      writer_(orThrow(sqlite_store::SqliteWriter::open(options_.data_dir),
                      "cannot open the store in " + options_.data_dir)),
      events_(options_.http.event_buffer_bytes),
      live_(*writer_, events_),
      queries_(std::make_unique<SerialQueries>(
          orThrow(sqlite_store::SqliteQueries::open(options_.data_dir),
                  "cannot open the store in " + options_.data_dir))),
      client_(clientOptions(options_)),
      queue_(options_.queue_limit, options_.queue_bytes),
      topology_(*registry_, options_.environment),
      admitter_(options_.environment),
      streams_(options_.environment, queue_, stats_),
      uplink_(client_, options_.environment, admitter_, topology_, queue_, stats_, statuses_),
      acker_(client_, stats_),
      notifier_(orThrow(sqlite_store::SqliteOutbox::open(options_.data_dir),
                        "cannot open the store in " + options_.data_dir),
                client_,
                [this] {
                  auto routing = topology_.current();
                  if (!routing) return NotifyPolicy{};
                  return NotifyPolicy{routing->destinations, routing->webhooks};
                }),
      disk_(
          options_.disk, [dir = options_.data_dir] { return diskSpaceOf(dir); },
          [this](DiskWatermark::Change change, const DiskView& disk) {
            return publishDiskAlert(change, disk);
          }),
      worker_(
          CommitParts{queue_, topology_, admitter_, live_, acker_, stats_,
                      [this](const RoutingSnapshot& s) { streams_.reconcile(s); },
                      [this] { notifier_.poke(); }, options_.dead_letter_after,
                      options_.endpoint_rate, &disk_, dynamic_cast<StorePruner*>(writer_.get()),
                      options_.retention_interval, options_.retention_rows, options_.ledger_window},
          options_.max_group, options_.stats_interval) {
  if (!options_.http.address.empty()) {
    // The gate reads tokens on its own registry connection (one per thread that uses it).
    gate_ = std::make_unique<TokenGate>(
        orThrow(Registry::open(options_.data_dir, RegistryOptions{options_.kek, false}),
                "cannot open the registry in " + options_.data_dir),
        options_.http.token_rate);
    http_ = std::make_unique<HttpApi>(
        options_.http,
        HttpParts{*queries_, *gate_, &queue_, &events_, &statuses_, [this] { return view(); }});
  }
  if (topology_.refresh()) streams_.reconcile(*topology_.current());
}

Ingester::~Ingester() {
  stop();
}

void Ingester::start() {
  if (http_) http_->start();
  disk_.start();
  notifier_.start();
  worker_.start();
  acker_.start();
  client_.start();
  started_ = true;
  auto routing = topology_.current();
  log::info("ingest", "environment ", options_.environment, ": taking batches from ",
            options_.broker, ", data in ", options_.data_dir, ", ",
            routing ? routing->admission->endpoints.size() : 0, " endpoints, ",
            routing ? routing->channels.size() : 0, " channels, ", streams_.size(),
            " streams here");
}

void Ingester::stop() {
  if (!started_) return;
  started_ = false;
  streams_.stopAll();
  client_.stop();
  queue_.close();
  worker_.join();
  acker_.stop();
  disk_.stop();
  notifier_.stop();
  if (http_) http_->stop();
  stats_.logSummary(true);
}

bool Ingester::publishDiskAlert(DiskWatermark::Change change, const DiskView& disk) {
  bool raised = change == DiskWatermark::Change::kLow;
  json::Writer w;
  w.beginObject()
      .key("kind")
      .string("disk-low")
      .key("state")
      .string(raised ? "raised" : "cleared")
      .key("environment")
      .string(options_.environment)
      .key("free_bytes")
      .integer(disk.free_bytes)
      .key("min_free_bytes")
      .integer(disk.min_free_bytes)
      .key("time_ms")
      .integer(wallMillis())
      .key("message")
      .string(raised ? "the ingester's disk is below its watermark: readings are kept by the "
                       "gateways and stored when space returns"
                     : "the ingester's disk has space again: readings are being stored")
      .endObject();
  std::string payload = w.take();
  std::set<std::string> accounts;
  if (auto routing = topology_.current()) {
    for (const auto& [id, channel] : routing->channels) accounts.insert(channel->account());
  }
  bool all = true;
  for (const std::string& account : accounts) {
    if (auto r = client_.publish(topics::accountAlerts(account), payload, 1); !r) {
      all = false;
      log::warn("ingest", "disk alert for account ", account,
                " not published: ", r.error().describe(), " (tried again)");
    }
  }
  return all;
}

IngestView Ingester::view() const {
  IngestView v;
  v.environment = options_.environment;
  v.broker_connected = client_.isConnected();
  v.stats = stats_.snapshot();
  v.disk = disk_.view();
  const auto& nc = notifier_.counters();
  v.notify = {nc.mqtt_delivered.load(), nc.webhook_delivered.load(), nc.retries.load(),
              nc.failed.load(), nc.blocked.load()};
  if (auto routing = topology_.current()) {
    for (const auto& [id, ch] : routing->channels) {
      for (std::size_t i = 0; i < ch->handlers().size(); ++i) {
        const Handler& h = *ch->handlers()[i];
        const auto& c = h.counters();
        v.handlers.push_back({ch->account() + "/" + ch->name(),
                              std::to_string(i + 1) + ":" + std::string(h.kind()), c.in.load(),
                              c.out.load(), c.errors.load(), c.alerts.load(), c.suppressed.load()});
      }
    }
  }
  return v;
}

}  // namespace dots::cloud
