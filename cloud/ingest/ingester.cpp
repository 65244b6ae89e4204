#include "ingest/ingester.h"

#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "codec/ack_codec.h"
#include "codec/batch_codec.h"
#include "core/clock.h"
#include "core/glob.h"
#include "core/text.h"
#include "core/thread_name.h"
#include "core/topics.h"
#include "senml/topic_name.h"

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

// Prometheus label value escaping.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

Ingester::Ingester(IngestOptions options)
    : options_(std::move(options)),
      registry_(orThrow(Registry::open(options_.data_dir),
                        "cannot open the registry in " + options_.data_dir)),
      store_(orThrow(ReadingStore::open(options_.data_dir),
                     "cannot open the store in " + options_.data_dir)),
      client_(clientOptions(options_)),
      notifier_(options_.data_dir, client_) {
  client_.subscribe("$share/" + options_.environment + "/" + std::string(topics::kAllUp), 1);
  client_.onMessage([this](std::string_view topic, std::span<const std::uint8_t> payload) {
    onMessage(topic, payload, 0);
  });
  if (!options_.http.empty()) {
    http_ = std::make_unique<HttpApi>(
        options_.http, options_.data_dir,
        HttpApi::Hooks{[this](std::string& body) { return healthy(body); },
                       [this] { return metricsText(); }});
  }
  reloadRegistryIfChanged();
}

Ingester::~Ingester() {
  stop();
}

void Ingester::start() {
  if (http_) http_->start();
  notifier_.start();
  worker_ = std::thread([this] {
    nameThisThread("ingest-worker");
    work();
  });
  acker_ = std::thread([this] {
    nameThisThread("ingest-acker");
    sendAcks();
  });
  client_.start();
  auto admission = currentAdmission();
  std::size_t endpoints = admission ? admission->endpoints.size() : 0;
  std::lock_guard lock(topology_mutex_);
  log::info("ingest", "environment ", options_.environment, ": taking batches from ",
            options_.broker, ", data in ", options_.data_dir, ", ", endpoints, " endpoints, ",
            channels_.size(), " channels, ", streams_.size(), " streams here");
}

void Ingester::stop() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(topology_mutex_);
    streams_.clear();
  }
  client_.stop();
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  space_cv_.notify_all();
  worker_.join();
  {
    std::lock_guard lock(ack_mutex_);
    ack_stopping_ = true;
  }
  ack_cv_.notify_all();
  acker_.join();
  notifier_.stop();
  if (http_) http_->stop();
  logStats(true);
}

IngestStats Ingester::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

void Ingester::onMessage(std::string_view topic, std::span<const std::uint8_t> payload,
                         std::int64_t stream_id) {
  Message message;
  message.topic = std::string(topic);
  message.stream_id = stream_id;
  message.payload.assign(payload.begin(), payload.end());
  // A gateway batch is opened here, in parallel with the worker's commits; the worker admits
  // it again if the registry changed meanwhile.
  if (stream_id == 0) message.admitted = admit(topic, payload, message.admitted_with);
  std::unique_lock lock(queue_mutex_);
  // Back-pressure: hold the MQTT thread (and so the broker) while the worker catches up.
  space_cv_.wait(lock, [this] { return stopping_ || queue_.size() < options_.queue_limit; });
  if (stopping_) return;
  queue_.push_back(std::move(message));
  lock.unlock();
  queue_cv_.notify_one();
}

void Ingester::work() {
  auto next_stats = SteadyClock::now() + options_.stats_interval;
  auto next_registry_check = SteadyClock::now();
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
    if (!group.empty() || SteadyClock::now() >= next_registry_check) {
      reloadRegistryIfChanged();
      next_registry_check = SteadyClock::now() + std::chrono::milliseconds(500);
    }
    if (!group.empty()) {
      process(group);
      group.clear();
    }
    if (SteadyClock::now() >= next_stats) {
      logStats(false);
      next_stats = SteadyClock::now() + options_.stats_interval;
    }
  }
}

namespace {
constexpr std::size_t kAckWindow = 32;
}  // namespace

void Ingester::sendAcks() {
  for (;;) {
    decltype(ack_queue_) acks;
    {
      std::unique_lock lock(ack_mutex_);
      ack_cv_.wait(lock, [this] { return ack_stopping_ || !ack_queue_.empty(); });
      if (ack_queue_.empty()) return;  // stopping, nothing left
      acks.swap(ack_queue_);
    }
    std::uint64_t sent = 0;
    for (const auto& [topic, payload] : acks) {
      // A short window of unacknowledged acks: the client library searches its lists of
      // queued and in-flight messages on every publish, so long lists cost per ack.
      (void)client_.waitInflightBelow(kAckWindow, std::chrono::seconds(1));
      if (client_.publish(topic, payload, 1)) ++sent;
    }
    std::lock_guard lock(stats_mutex_);
    stats_.acks_sent += sent;
  }
}

void Ingester::reloadRegistryIfChanged() {
  auto version = registry_->dataVersion();
  if (!version || *version == registry_version_) return;
  auto endpoints = registry_->endpoints();
  auto channels = registry_->channels();
  auto routes = registry_->routes();
  auto streams = registry_->streams();
  for (const Error* e :
       {endpoints ? nullptr : &endpoints.error(), channels ? nullptr : &channels.error(),
        routes ? nullptr : &routes.error(), streams ? nullptr : &streams.error()}) {
    if (e) {
      log::error("ingest", "cannot read the registry: ", e->describe());
      return;
    }
  }
  std::lock_guard lock(topology_mutex_);
  registry_version_ = *version;
  auto admission = std::make_shared<Admission>();
  for (Endpoint& ep : *endpoints) admission->endpoints.emplace(ep.gateway, std::move(ep));

  // Channels of this environment; an unchanged channel keeps its handlers and their state.
  std::map<std::int64_t, std::unique_ptr<Channel>> next;
  std::map<std::int64_t, std::string> environment_of;
  for (const auto& c : *channels) {
    environment_of[c.id] = c.environment;
    if (c.environment != options_.environment) continue;
    auto old = channels_.find(c.id);
    if (old != channels_.end() && old->second->specs() == c.handlers) {
      next[c.id] = std::move(old->second);
      continue;
    }
    auto built = Channel::create(c.id, c.account, c.name, c.environment, c.handlers);
    if (!built) {
      log::error("ingest", "channel ", c.account, "/", c.name,
                 " not started: ", built.error().detail);
      continue;
    }
    next[c.id] = std::move(*built);
  }
  channels_ = std::move(next);

  routes_.clear();
  for (const Route& r : *routes) {
    admission->served_by[r.gateway] = environment_of[r.channel_id];
    auto ch = channels_.find(r.channel_id);
    if (ch == channels_.end()) continue;
    routes_[r.gateway].push_back({ch->second.get(), r.sensors});
    admission->routed.insert(r.gateway);
  }
  {
    std::lock_guard admission_lock(admission_mutex_);
    admission_ = std::move(admission);
  }

  // Streams of this environment: start new ones, stop removed ones.
  std::map<std::int64_t, std::unique_ptr<StreamSource>> next_streams;
  for (const Stream& s : *streams) {
    if (s.environment != options_.environment || !channels_.contains(s.channel_id)) continue;
    auto old = streams_.find(s.id);
    if (old != streams_.end()) {
      next_streams[s.id] = std::move(old->second);
      continue;
    }
    auto source = std::make_unique<StreamSource>(
        s, options_.environment,
        [this](const Stream& stream, std::string_view topic,
               std::span<const std::uint8_t> payload) { onMessage(topic, payload, stream.id); });
    source->start();
    log::info("ingest", "stream ", s.name, ": ", s.broker, " ", s.topic, " -> ", s.channel);
    next_streams[s.id] = std::move(source);
  }
  streams_ = std::move(next_streams);
  log::debug("ingest", "registry loaded: ", endpoints->size(), " endpoints, ", channels_.size(),
             " channels here");
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

std::shared_ptr<const Ingester::Admission> Ingester::currentAdmission() const {
  std::lock_guard lock(admission_mutex_);
  return admission_;
}

Result<IncomingBatch> Ingester::admit(std::string_view topic, std::span<const std::uint8_t> payload,
                                      std::shared_ptr<const Admission>& used) {
  used = currentAdmission();
  const auto& table = used;
  if (!table) return fail("unrouted", "the registry is not loaded yet");
  std::lock_guard lock(cipher_mutex_);
  if (ciphers_for_ != table) {  // keys may have changed
    ciphers_.clear();
    ciphers_for_ = table;
  }
  auto gw = topics::gatewayOfUpTopic(topic);
  if (!gw) return fail("bad-topic", "not dots/v1/<gateway>/up");
  std::string gateway(*gw);
  auto ep = table->endpoints.find(gateway);
  if (ep == table->endpoints.end()) {
    return fail("unknown-gateway", "no endpoint for \"" + gateway + "\"");
  }
  auto served = table->served_by.find(gateway);
  std::string environment = served == table->served_by.end() ? "default" : served->second;
  if (environment != options_.environment) return fail("other-environment", environment);
  if (!ep->second.enabled) {
    return fail("disabled-endpoint", "endpoint \"" + gateway + "\" is disabled");
  }
  auto envelope = seal::readEnvelope(payload);
  if (!envelope) return std::unexpected(envelope.error());
  if (envelope->header.gateway != gateway) {
    return fail("gateway-mismatch", "envelope of \"" + envelope->header.gateway.substr(0, 64) +
                                        "\" on the topic of \"" + gateway + "\"");
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
  if (!table->routed.contains(gateway)) {
    // Not acknowledged: the gateway keeps it until a route exists.
    return fail("unrouted", "endpoint \"" + gateway + "\" has no route to a channel");
  }
  return IncomingBatch{ep->first, envelope->header.epoch, envelope->header.seq, std::move(*batch)};
}

Result<void> Ingester::runChannels(const std::string& gateway, Batch& batch) {
  const auto& targets = routes_[gateway];
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const RouteTarget& target = targets[i];
    std::vector<Reading> selected;
    if (target.sensors == "*" && i + 1 == targets.size()) {
      selected = std::move(batch.readings);  // the last channel may have the batch's readings
    } else if (target.sensors == "*") {
      selected = batch.readings;
    } else {
      for (const Reading& r : batch.readings) {
        if (globMatch(target.sensors, r.name)) selected.push_back(r);
      }
    }
    if (auto r = target.channel->run(std::move(selected), gateway, batch.historical, store_); !r) {
      return r;
    }
  }
  return {};
}

Result<void> Ingester::runStream(const Message& m) {
  const StreamSource* source = nullptr;
  if (auto it = streams_.find(m.stream_id); it != streams_.end()) source = it->second.get();
  if (!source) return {};  // removed meanwhile
  const Stream& s = source->stream();
  std::vector<Reading> readings;
  std::string name = senml::nameFromTopic(m.topic, {s.topic});
  std::string_view text(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  if (auto r = stream_parser_.parse(text, name, wallMillis(), readings); !r) {
    reject(r.error(), m.topic);
    return {};
  }
  auto ch = channels_.find(s.channel_id);
  if (ch == channels_.end()) return {};
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.stream_messages[s.name];
  }
  return ch->second->run(std::move(readings), "stream:" + s.name, false, store_);
}

void Ingester::process(std::vector<Message>& messages) {
  std::lock_guard topology(topology_mutex_);
  std::vector<IncomingBatch> admitted;
  std::vector<const Message*> stream_messages;
  admitted.reserve(messages.size());
  std::uint64_t other_environment = 0;
  auto current = currentAdmission();  // the registry as of now
  for (Message& m : messages) {
    if (m.stream_id != 0) {
      stream_messages.push_back(&m);
      continue;
    }
    auto& batch = m.admitted;
    if (current != m.admitted_with) batch = admit(m.topic, m.payload, m.admitted_with);
    if (!batch) {
      if (batch.error().reason == "other-environment") {
        ++other_environment;  // another environment's ingester serves it
      } else {
        reject(batch.error(), m.topic);
      }
      continue;
    }
    admitted.push_back(std::move(*batch));
  }
  {
    std::lock_guard lock(stats_mutex_);
    stats_.messages += messages.size();
    stats_.other_environment += other_environment;
  }
  if (admitted.empty() && stream_messages.empty()) return;

  std::vector<bool> duplicate(admitted.size());
  std::vector<std::size_t> sizes;  // the channels may take the readings out of their batch
  for (const IncomingBatch& in : admitted) sizes.push_back(in.batch.readings.size());
  std::uint64_t readings = 0;
  auto commit = [&]() -> Result<void> {
    if (auto r = store_.begin(); !r) return r;
    for (std::size_t i = 0; i < admitted.size(); ++i) {
      IncomingBatch& in = admitted[i];
      auto fresh = store_.recordBatch(in.gateway, in.epoch, in.seq, sizes[i], in.batch.historical);
      if (!fresh) return std::unexpected(fresh.error());
      duplicate[i] = !*fresh;
      if (duplicate[i]) continue;
      readings += sizes[i];
      if (auto r = runChannels(in.gateway, in.batch); !r) return r;
    }
    for (const Message* m : stream_messages) {
      if (auto r = runStream(*m); !r) return r;
    }
    return store_.commit();
  };
  if (auto r = commit(); !r) {
    store_.rollback();
    // Nothing is acknowledged, so the gateways will send these batches again.
    reject(Error{"store-error", r.error().describe()}, "(commit)");
    return;
  }
  notifier_.poke();

  std::map<std::string, std::vector<codec::BatchId>> acks;
  std::uint64_t duplicates = 0;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> per_endpoint;
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    acks[admitted[i].gateway].push_back({admitted[i].epoch, admitted[i].seq});
    if (!duplicate[i]) {
      auto& e = per_endpoint[admitted[i].gateway];
      e.first += 1;
      e.second += sizes[i];
      continue;
    }
    ++duplicates;
    long suppressed = 0;
    if (log_limiter_.allow("duplicate", suppressed)) {
      log::info("ingest", "duplicate batch ", admitted[i].gateway, " epoch ", admitted[i].epoch,
                " seq ", admitted[i].seq, " (stored before; acknowledged again)",
                suppressed ? log::concat(", ", suppressed, " more not logged") : "");
    }
  }
  {
    // Published by the acker thread: Paho holds its client lock while its receive thread waits
    // in onMessage for queue space, so the worker must never wait on a publish.
    std::lock_guard lock(ack_mutex_);
    for (auto& [gw, ids] : acks) {
      ack_queue_.emplace_back(topics::ack(gw), codec::encodeAck(codec::toRanges(std::move(ids))));
    }
  }
  ack_cv_.notify_one();
  std::lock_guard lock(stats_mutex_);
  stats_.batches_stored += admitted.size() - duplicates;
  stats_.readings_stored += readings;
  stats_.duplicates += duplicates;
  for (const auto& [gw, counts] : per_endpoint) {
    stats_.endpoint_batches[gw] += counts.first;
    stats_.endpoint_readings[gw] += counts.second;
  }
}

bool Ingester::healthy(std::string& body) const {
  bool connected = client_.isConnected();
  IngestStats s = stats();
  std::ostringstream out;
  out << R"({"status":")" << (connected ? "ok" : "broker-disconnected") << R"(","environment":)"
      << jsonQuote(options_.environment) << R"(,"broker_connected":)"
      << (connected ? "true" : "false") << R"(,"batches_stored":)" << s.batches_stored
      << R"(,"readings_stored":)" << s.readings_stored << "}";
  body = out.str();
  return connected;
}

std::string Ingester::metricsText() const {
  IngestStats s = stats();
  std::ostringstream out;
  std::string env = label(options_.environment);
  out << "# HELP dots_ingest_messages_total Messages taken from the broker.\n"
      << "# TYPE dots_ingest_messages_total counter\n"
      << "dots_ingest_messages_total{environment=\"" << env << "\"} " << s.messages << "\n"
      << "# HELP dots_ingest_batches_total Batches by outcome.\n"
      << "# TYPE dots_ingest_batches_total counter\n"
      << "dots_ingest_batches_total{environment=\"" << env << "\",outcome=\"stored\"} "
      << s.batches_stored << "\n"
      << "dots_ingest_batches_total{environment=\"" << env << "\",outcome=\"duplicate\"} "
      << s.duplicates << "\n"
      << "dots_ingest_batches_total{environment=\"" << env << "\",outcome=\"other-environment\"} "
      << s.other_environment << "\n"
      << "# HELP dots_ingest_readings_total Readings of newly committed batches.\n"
      << "# TYPE dots_ingest_readings_total counter\n"
      << "dots_ingest_readings_total{environment=\"" << env << "\"} " << s.readings_stored << "\n"
      << "# HELP dots_ingest_rejected_total Messages rejected, by reason.\n"
      << "# TYPE dots_ingest_rejected_total counter\n";
  for (const auto& [reason, n] : s.rejected) {
    out << "dots_ingest_rejected_total{environment=\"" << env << "\",reason=\"" << label(reason)
        << "\"} " << n << "\n";
  }
  out << "# HELP dots_ingest_acks_total Ack messages published.\n"
      << "# TYPE dots_ingest_acks_total counter\n"
      << "dots_ingest_acks_total{environment=\"" << env << "\"} " << s.acks_sent << "\n"
      << "# HELP dots_endpoint_batches_total Batches committed per endpoint.\n"
      << "# TYPE dots_endpoint_batches_total counter\n";
  for (const auto& [gw, n] : s.endpoint_batches) {
    out << "dots_endpoint_batches_total{gateway=\"" << label(gw) << "\"} " << n << "\n";
  }
  out << "# HELP dots_endpoint_readings_total Readings committed per endpoint.\n"
      << "# TYPE dots_endpoint_readings_total counter\n";
  for (const auto& [gw, n] : s.endpoint_readings) {
    out << "dots_endpoint_readings_total{gateway=\"" << label(gw) << "\"} " << n << "\n";
  }
  out << "# HELP dots_stream_messages_total Messages taken from each stream.\n"
      << "# TYPE dots_stream_messages_total counter\n";
  for (const auto& [name, n] : s.stream_messages) {
    out << "dots_stream_messages_total{stream=\"" << label(name) << "\"} " << n << "\n";
  }
  const auto& nc = notifier_.counters();
  out << "# HELP dots_notify_total Alert deliveries by outcome.\n"
      << "# TYPE dots_notify_total counter\n"
      << "dots_notify_total{target=\"mqtt\",outcome=\"delivered\"} " << nc.mqtt_delivered.load()
      << "\n"
      << "dots_notify_total{target=\"webhook\",outcome=\"delivered\"} "
      << nc.webhook_delivered.load() << "\n"
      << "dots_notify_total{target=\"any\",outcome=\"retry\"} " << nc.retries.load() << "\n"
      << "dots_notify_total{target=\"any\",outcome=\"failed\"} " << nc.failed.load() << "\n";
  out << "# HELP dots_handler_readings_total Readings into and out of each handler.\n"
      << "# TYPE dots_handler_readings_total counter\n";
  std::ostringstream other;
  other << "# HELP dots_handler_events_total Handler errors, alerts and suppressions.\n"
        << "# TYPE dots_handler_events_total counter\n";
  std::lock_guard lock(topology_mutex_);
  for (const auto& [id, ch] : channels_) {
    std::string channel = label(ch->account() + "/" + ch->name());
    for (std::size_t i = 0; i < ch->handlers().size(); ++i) {
      const Handler& h = *ch->handlers()[i];
      std::string labels = "channel=\"" + channel + "\",handler=\"" + std::to_string(i + 1) + ":" +
                           std::string(h.kind()) + "\"";
      const auto& c = h.counters();
      out << "dots_handler_readings_total{" << labels << ",direction=\"in\"} " << c.in.load()
          << "\n"
          << "dots_handler_readings_total{" << labels << ",direction=\"out\"} " << c.out.load()
          << "\n";
      other << "dots_handler_events_total{" << labels << ",event=\"error\"} " << c.errors.load()
            << "\n"
            << "dots_handler_events_total{" << labels << ",event=\"alert\"} " << c.alerts.load()
            << "\n"
            << "dots_handler_events_total{" << labels << ",event=\"suppressed\"} "
            << c.suppressed.load() << "\n";
    }
  }
  return out.str() + other.str();
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
