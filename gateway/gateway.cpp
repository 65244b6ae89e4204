#include "gateway/gateway.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "gateway/inputs/mqtt/mqtt_input.h"
#include "shared/app/thread_name.h"
#include "shared/mqtt/client.h"
#include "shared/text/text.h"
#include "shared/time/clock.h"
#include "shared/topics/topics.h"

namespace dots::gateway {

namespace {
// A summary window is closed this long after it ends, for readings still on their way.
constexpr std::int64_t kSummaryGraceMs = 2000;

Spool openSpool(const SpoolOptions& options) {
  auto spool = Spool::open(options);
  if (!spool) {
    throw std::runtime_error("cannot open spool " + options.path + ": " + spool.error().describe());
  }
  return std::move(*spool);
}

UplinkOptions uplinkOptions(const GatewayConfig& c) {
  UplinkOptions o;
  o.seal = {c.id, c.key_id, c.key, c.compress};
  o.delivery = {c.ack_timeout, c.max_inflight, c.backfill_readings_per_s};
  o.spool = {c.spool.max_bytes, c.spool.policy, c.spool.max_age};
  return o;
}

mqtt::ClientOptions uplinkClientOptions(const GatewayConfig& c) {
  mqtt::ClientOptions o;
  o.uri = c.broker;
  o.client_id = c.client_id;
  o.clean_session = true;  // the spool, not the broker session, carries what is unacknowledged
  o.username = c.username;
  o.password = c.password;
  o.ca_file = c.ca_file;
  o.cert_file = c.cert_file;
  o.key_file = c.key_file;
  o.max_inflight = static_cast<int>(std::max<std::size_t>(c.max_inflight * 2, 16));
  o.min_backoff = c.min_backoff;
  o.max_backoff = c.max_backoff;
  o.will = mqtt::Will{topics::status(c.id), R"({"state":"offline"})", 1, true};
  o.log_name = "uplink";
  return o;
}
}  // namespace

Gateway::Gateway(GatewayConfig config)
    : config_(std::move(config)),
      batcher_(config_.linger, config_.max_readings),
      reducer_(config_.reduce) {
  uplink_ = std::make_unique<Uplink>(
      uplinkOptions(config_), openSpool(config_.spool),
      std::make_unique<mqtt::Client>(uplinkClientOptions(config_)), [this] { wake(); }, wallMillis);
  for (const MqttInputOptions& in : config_.mqtt_inputs) {
    inputs_.push_back(makeMqttInput(
        in, [this](std::vector<Reading>&& readings) { onReadings(std::move(readings)); }));
  }
}

Gateway::~Gateway() {
  stop();
}

void Gateway::start() {
  uplink_->start();
  loop_thread_ = std::thread([this] {
    nameThisThread("gateway-loop");
    loop();
  });
  for (auto& input : inputs_) input->start();
  started_ = true;
  std::string sensors;
  for (const MqttInputOptions& in : config_.mqtt_inputs) {
    sensors +=
        log::concat(sensors.empty() ? "" : ", ", in.broker, " (", in.topics.size(), " filters)");
  }
  log::info("gateway", "gateway ", config_.id, " started: sensors from ", sensors, ", uplink to ",
            config_.broker, ", linger ", config_.linger.count(), " ms, spool ", config_.spool.path);
}

void Gateway::wake() {
  // Taking the mutex orders this wake-up after a waiter's predicate check: none is lost.
  { std::lock_guard lock(mutex_); }
  cv_.notify_one();
}

void Gateway::onReadings(std::vector<Reading>&& readings) {
  bool full = false;
  bool started = false;  // a new batch: the loop must learn its deadline
  {
    std::lock_guard lock(mutex_);
    auto now = Batcher::Clock::now();
    started = batcher_.size() == 0;
    if (reducer_.active()) {
      reduced_.clear();
      for (Reading& r : readings) reducer_.apply(std::move(r), reduced_);
      for (Reading& r : reduced_) batcher_.add(std::move(r), now);
    } else {
      for (Reading& r : readings) batcher_.add(std::move(r), now);
    }
    full = batcher_.full();
    started = started && batcher_.size() > 0;
  }
  if (full || started) wake();
}

void Gateway::loop() {
  auto next_status = SteadyClock::now();
  for (;;) {
    std::vector<Batch> batches;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      auto now = SteadyClock::now();
      auto wake_at = now + std::chrono::milliseconds(100);
      if (auto deadline = batcher_.deadline()) wake_at = std::min(wake_at, *deadline);
      wake_at = std::min(wake_at, next_status);
      cv_.wait_until(lock, wake_at, [&] {
        auto deadline = batcher_.deadline();
        return stopping_ || batcher_.full() || uplink_->hasWork() ||
               batcher_.due(SteadyClock::now()) || (deadline && *deadline < wake_at);
      });
      now = SteadyClock::now();
      stopping = stopping_;
      if (reducer_.active()) {
        reduced_.clear();
        if (stopping) {
          reducer_.flushAll(reduced_);
        } else {
          reducer_.flushExpired(wallMillis(), kSummaryGraceMs, reduced_);
        }
        for (Reading& r : reduced_) batcher_.add(std::move(r), now);
      }
      while (batcher_.due(now) || (stopping && batcher_.size() > 0)) {
        batches.push_back(batcher_.take());
      }
    }
    for (Batch& batch : batches) uplink_->submit(std::move(batch));
    auto now = SteadyClock::now();
    if (!stopping) uplink_->service(now);
    if (now >= next_status && !stopping) {
      uplink_->publishStatus(statusJson("online"));
      next_status = now + config_.status_interval;
    }
    if (stopping) break;
  }
}

void Gateway::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& input : inputs_) input->stop();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake();
  if (loop_thread_.joinable()) loop_thread_.join();
  uplink_->publishStatus(statusJson("offline"));
  uplink_->stop();
  const auto& c = uplink_->counters();
  log::info("gateway", "stopped: ", inputTotals().readings, " readings received, ",
            c.readings_acked.load(), " acknowledged, ", c.readings_dropped.load(),
            " dropped; spool keeps ", uplink_->spool().batches(), " batches (",
            uplink_->spool().readings(), " readings)");
}

std::uint64_t Gateway::reducedCount() {
  std::lock_guard lock(mutex_);
  return reducer_.suppressed();
}

InputStats Gateway::inputTotals() const {
  InputStats total;
  for (const auto& input : inputs_) {
    InputStats s = input->stats();
    total.messages += s.messages;
    total.readings += s.readings;
    for (const auto& [reason, n] : s.rejected) total.rejected[reason] += n;
  }
  return total;
}

bool Gateway::inputsConnected() const {
  return std::ranges::all_of(inputs_, [](const auto& input) { return input->connected(); });
}

std::string Gateway::statusJson(const char* state) {
  const auto& c = uplink_->counters();
  Spool& spool = uplink_->spool();
  std::int64_t oldest_age_ms = 0;
  if (auto oldest = spool.oldestCreatedMs(); oldest && *oldest) {
    oldest_age_ms = std::max<std::int64_t>(0, wallMillis() - **oldest);
  }
  InputStats in = inputTotals();
  std::ostringstream out;
  out << R"({"state":")" << state << R"(","gateway":")" << config_.id << R"(","time_ms":)"
      << wallMillis() << R"(,"epoch":)" << uplink_->epoch() << R"(,"run":")" << std::hex
      << uplink_->run() << std::dec << R"(","uplink":")"
      << (uplink_->connected() ? "connected" : "disconnected") << R"(","local":")"
      << (inputsConnected() ? "connected" : "disconnected") << R"(","messages":)" << in.messages
      << R"(,"received":)" << in.readings << R"(,"rejected":{)";
  bool first = true;
  for (const auto& [reason, n] : in.rejected) {
    out << (first ? "" : ",") << '"' << reason << R"(":)" << n;
    first = false;
  }
  out << R"(},"spooled":)" << c.readings_spooled.load() << R"(,"acked":)" << c.readings_acked.load()
      << R"(,"dropped":)" << c.readings_dropped.load() << R"(,"batches":{"spooled":)"
      << c.batches_spooled.load() << R"(,"sent":)" << c.batches_sent.load() << R"(,"resent":)"
      << c.batches_resent.load() << R"(,"acked":)" << c.batches_acked.load() << R"(,"dropped":)"
      << c.batches_dropped.load() << R"(},"spool_bytes":)" << spool.bytes()
      << R"(,"spool_batches":)" << spool.batches() << R"(,"spool_readings":)" << spool.readings()
      << R"(,"backfilling":)" << (uplink_->backfilling() ? "true" : "false")
      << R"(,"batches_backfilled":)" << c.batches_backfilled.load() << R"(,"wire_bytes":)"
      << c.wire_bytes.load() << R"(,"wire_bytes_per_reading":)"
      << formatDouble(c.readings_spooled.load() == 0
                          ? 0.0
                          : static_cast<double>(c.sealed_bytes.load()) /
                                static_cast<double>(c.readings_spooled.load()))
      << R"(,"oldest_unacked_ms":)" << oldest_age_ms << R"(,"inflight":)" << uplink_->inflight()
      << R"(,"spool_errors":)" << c.spool_errors.load() << R"(,"reduced":)" << reducedCount()
      << R"(,"dead_lettered":{"batches":)" << c.batches_rejected.load() << R"(,"readings":)"
      << c.readings_rejected.load() << R"(},"acks_rejected":)" << c.acks_rejected.load()
      << R"(,"acks_unknown_seq":)" << c.acks_unknown_seq.load() << "}";
  return out.str();
}

}  // namespace dots::gateway
