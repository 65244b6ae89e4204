#include "ingest/ingester.h"

#include <unistd.h>

#include <stdexcept>

#include "codec/ack_codec.h"
#include "codec/batch_codec.h"
#include "core/clock.h"
#include "core/topics.h"

namespace dots::cloud {

namespace {

template <typename T>
T orThrow(Result<T> r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().describe());
  return std::move(*r);
}

mqtt::ClientOptions clientOptions(const IngestOptions& o) {
  mqtt::ClientOptions c;
  c.uri = o.broker;
  c.client_id = "dots-ingest-" + o.environment + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(wallMillis() % 100000);
  c.clean_session = true;  // gateways resend what is not acknowledged
  c.username = o.username;
  c.password = o.password;
  c.ca_file = o.ca_file;
  c.max_inflight = 4096;
  c.min_backoff = std::chrono::milliseconds(100);
  c.max_backoff = std::chrono::milliseconds(5000);
  c.log_name = "ingest-mqtt";
  return c;
}

}  // namespace

Ingester::Ingester(IngestOptions options)
    : options_(std::move(options)),
      registry_(orThrow(Registry::open(options_.data_dir),
                        "cannot open the registry in " + options_.data_dir)),
      store_(orThrow(ReadingStore::open(options_.data_dir),
                     "cannot open the store in " + options_.data_dir)),
      client_(clientOptions(options_)) {
  client_.subscribe("$share/" + options_.environment + "/" + std::string(topics::kAllUp), 1);
  client_.onMessage([this](std::string_view topic, std::span<const std::uint8_t> payload) {
    onMessage(topic, payload);
  });
  reloadRegistryIfChanged();
}

Ingester::~Ingester() {
  stop();
}

void Ingester::start() {
  worker_ = std::thread([this] { work(); });
  client_.start();
  log::info("ingest", "environment ", options_.environment, ": taking batches from ",
            options_.broker, ", data in ", options_.data_dir, ", ", endpoints_.size(),
            " endpoints");
}

void Ingester::stop() {
  if (!worker_.joinable()) return;
  client_.stop();
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  space_cv_.notify_all();
  worker_.join();
  logStats(true);
}

IngestStats Ingester::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void Ingester::onMessage(std::string_view topic, std::span<const std::uint8_t> payload) {
  std::unique_lock lock(queue_mutex_);
  // Back-pressure: hold the MQTT thread (and so the broker) while the worker catches up.
  space_cv_.wait(lock, [this] { return stopping_ || queue_.size() < options_.queue_limit; });
  if (stopping_) return;
  queue_.push_back(Message{std::string(topic), {payload.begin(), payload.end()}});
  lock.unlock();
  queue_cv_.notify_one();
}

void Ingester::work() {
  auto next_stats = SteadyClock::now() + options_.stats_interval;
  std::vector<Message> group;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait_for(lock, std::chrono::milliseconds(200),
                         [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) break;
      while (!queue_.empty() && group.size() < options_.max_group) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    space_cv_.notify_all();
    if (!group.empty()) {
      reloadRegistryIfChanged();
      process(group);
      group.clear();
    }
    if (SteadyClock::now() >= next_stats) {
      logStats(false);
      next_stats = SteadyClock::now() + options_.stats_interval;
    }
  }
}

void Ingester::reloadRegistryIfChanged() {
  auto version = registry_.dataVersion();
  if (!version || *version == registry_version_) return;
  auto list = registry_.endpoints();
  if (!list) {
    log::error("ingest", "cannot read the registry: ", list.error().describe());
    return;
  }
  registry_version_ = *version;
  endpoints_.clear();
  ciphers_.clear();
  for (Endpoint& ep : *list) endpoints_.emplace(ep.gateway, std::move(ep));
  log::debug("ingest", "registry loaded: ", endpoints_.size(), " endpoints");
}

void Ingester::reject(const Error& error, std::string_view topic) {
  std::uint64_t total = 0;
  {
    std::lock_guard lock(stats_mutex_);
    total = ++stats_.rejected[error.reason];
  }
  long suppressed = 0;
  if (log_limiter_.allow(error.reason, suppressed)) {
    log::warn("ingest", "rejected batch on ", topic, ": ", error.describe(), " (", total, " ",
              error.reason, " so far",
              suppressed ? log::concat(", ", suppressed, " not logged") : "", ")");
  }
}

Result<IncomingBatch> Ingester::admit(const Message& message) {
  auto gw = topics::gatewayOfUpTopic(message.topic);
  if (!gw) return fail("bad-topic", "not dots/v1/<gateway>/up");
  auto ep = endpoints_.find(std::string(*gw));
  if (ep == endpoints_.end())
    return fail("unknown-gateway", "no endpoint for \"" + std::string(*gw) + "\"");
  if (!ep->second.enabled)
    return fail("disabled-endpoint", "endpoint \"" + std::string(*gw) + "\" is disabled");
  auto envelope = seal::readEnvelope(message.payload);
  if (!envelope) return std::unexpected(envelope.error());
  if (envelope->header.gateway != *gw) {
    return fail("gateway-mismatch", "envelope of \"" + envelope->header.gateway.substr(0, 64) +
                                        "\" on the topic of \"" + std::string(*gw) + "\"");
  }
  auto key = ep->second.keys.find(envelope->header.key_id);
  if (key == ep->second.keys.end()) {
    return fail("unknown-key", "key id " + std::to_string(envelope->header.key_id));
  }
  auto& cipher = ciphers_[{ep->first, key->first}];
  if (!cipher) cipher = std::make_unique<seal::AesGcm>(key->second);
  auto plain = seal::openEnvelope(*cipher, *envelope);
  if (!plain) return std::unexpected(plain.error());
  auto batch = codec::decodeBatch(*plain);
  if (!batch) return std::unexpected(batch.error());
  return IncomingBatch{ep->first, envelope->header.epoch, envelope->header.seq, std::move(*batch)};
}

void Ingester::process(std::vector<Message>& messages) {
  std::vector<IncomingBatch> admitted;
  admitted.reserve(messages.size());
  for (const Message& m : messages) {
    auto batch = admit(m);
    if (!batch) {
      reject(batch.error(), m.topic);
      continue;
    }
    admitted.push_back(std::move(*batch));
  }
  {
    std::lock_guard lock(stats_mutex_);
    stats_.messages += messages.size();
  }
  if (admitted.empty()) return;

  auto outcome = store_.commit(admitted);
  if (!outcome) {
    // Nothing is acknowledged, so the gateways will send these batches again.
    reject(Error{"store-error", outcome.error().describe()}, "(commit)");
    return;
  }

  std::map<std::string, std::vector<codec::BatchId>> acks;
  std::uint64_t duplicates = 0;
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    acks[admitted[i].gateway].push_back({admitted[i].epoch, admitted[i].seq});
    if (!outcome->duplicate[i]) continue;
    ++duplicates;
    long suppressed = 0;
    if (log_limiter_.allow("duplicate", suppressed)) {
      log::info("ingest", "duplicate batch ", admitted[i].gateway, " epoch ", admitted[i].epoch,
                " seq ", admitted[i].seq, " (stored before; acknowledged again)",
                suppressed ? log::concat(", ", suppressed, " more not logged") : "");
    }
  }
  std::uint64_t sent = 0;
  for (auto& [gw, ids] : acks) {
    auto payload = codec::encodeAck(codec::toRanges(std::move(ids)));
    if (client_.publish(topics::ack(gw), payload, 1)) ++sent;
  }
  std::lock_guard lock(stats_mutex_);
  stats_.batches_stored += admitted.size() - duplicates;
  stats_.readings_stored += outcome->readings;
  stats_.duplicates += duplicates;
  stats_.acks_sent += sent;
}

void Ingester::logStats(bool final) {
  IngestStats now = stats();
  if (!final && now.messages == logged_.messages) return;
  std::string rejected;
  auto reasons = now.rejected;
  if (now.duplicates > 0) reasons["duplicate"] = now.duplicates;
  for (const auto& [reason, n] : reasons) rejected += " " + reason + "=" + std::to_string(n);
  log::info(
      "ingest", final ? "final: " : "", now.readings_stored, " readings stored in ",
      now.batches_stored, " batches (+", now.readings_stored - logged_.readings_stored,
      " since last report); rejected or repeated batches:", rejected.empty() ? " none" : rejected);
  logged_ = now;
}

}  // namespace dots::cloud
