#include "uplink/uplink.h"

#include <stdexcept>

#include "codec/batch_codec.h"
#include "core/clock.h"
#include "core/topics.h"

namespace dots::gateway {

namespace {
mqtt::ClientOptions uplinkOptions(const GatewayConfig& c) {
  mqtt::ClientOptions o;
  o.uri = c.broker;
  o.client_id = c.client_id;
  o.clean_session = true;  // the spool, not the broker session, carries what is unacknowledged
  o.username = c.username;
  o.password = c.password;
  o.ca_file = c.ca_file;
  o.max_inflight = static_cast<int>(std::max<std::size_t>(c.max_inflight * 2, 16));
  o.min_backoff = c.min_backoff;
  o.max_backoff = c.max_backoff;
  o.will = mqtt::Will{topics::status(c.id), R"({"state":"offline"})", 1, true};
  o.log_name = "uplink";
  return o;
}
}  // namespace

Uplink::Uplink(const GatewayConfig& config, Spool spool, std::function<void()> wake)
    : config_(config),
      spool_(std::move(spool)),
      wake_(std::move(wake)),
      gcm_(config.key),
      client_(uplinkOptions(config)),
      up_topic_(topics::up(config.id)),
      status_topic_(topics::status(config.id)) {
  client_.subscribe(topics::ack(config.id), 1);
  client_.onMessage(
      [this](std::string_view, std::span<const std::uint8_t> payload) { onAckMessage(payload); });
  client_.onConnected([this] {
    {
      std::lock_guard lock(queue_mutex_);
      reconnected_ = true;
    }
    wake_();
  });
}

Uplink::~Uplink() {
  stop();
}

void Uplink::start() {
  auto now_s = static_cast<std::uint32_t>(wallMillis() / 1000);
  auto epoch = spool_.reserveEpoch(now_s);
  if (!epoch)
    throw std::runtime_error("spool: cannot reserve an epoch: " + epoch.error().describe());
  epoch_ = *epoch;
  next_seq_ = 0;
  log::info("uplink", "gateway ", config_.id, " epoch ", epoch_, "; spool holds ", spool_.batches(),
            " batches (", spool_.readings(), " readings, ", spool_.bytes(), " bytes)");
  client_.start();
}

void Uplink::stop() {
  client_.stop();
}

bool Uplink::hasWork() const {
  std::lock_guard lock(queue_mutex_);
  return reconnected_ || !acks_.empty();
}

void Uplink::onAckMessage(std::span<const std::uint8_t> payload) {
  auto ranges = codec::decodeAck(payload);
  if (!ranges) {
    counters_.acks_rejected.fetch_add(1);
    long suppressed = 0;
    if (log_limiter_.allow("ack", suppressed)) {
      log::warn("uplink", "ignored an ack: ", ranges.error().describe());
    }
    return;
  }
  {
    std::lock_guard lock(queue_mutex_);
    acks_.insert(acks_.end(), ranges->begin(), ranges->end());
  }
  wake_();
}

void Uplink::submit(Batch&& batch) {
  if (batch.readings.empty()) return;
  auto readings = static_cast<std::uint32_t>(batch.readings.size());
  // Sealed while the uplink is down, it will travel as backlog: handlers may store and
  // aggregate it but should not page anyone about it.
  batch.historical = !client_.isConnected();
  seal::EnvelopeHeader header{config_.id, config_.key_id, epoch_, next_seq_++};
  std::vector<std::uint8_t> sealed =
      seal::sealEnvelope(gcm_, header, codec::encodeBatch(batch), config_.compress);
  auto outcome = spool_.append(header.epoch, header.seq, readings, sealed, wallMillis());
  if (!outcome) {
    // The readings cannot be kept: count them as dropped, loudly.
    counters_.spool_errors.fetch_add(1);
    counters_.batches_dropped.fetch_add(1);
    counters_.readings_dropped.fetch_add(readings);
    log::error("spool", "cannot store a batch of ", readings,
               " readings (dropped): ", outcome.error().describe());
    return;
  }
  if (outcome->dropped_readings > 0) {
    counters_.batches_dropped.fetch_add(outcome->dropped_batches);
    counters_.readings_dropped.fetch_add(outcome->dropped_readings);
    long suppressed = 0;
    if (log_limiter_.allow("spool-full", suppressed)) {
      log::warn("spool", "spool full (", spool_.bytes(), " of ", spool_.cap(), " bytes",
                spool_.cap() < config_.spool.max_bytes ? ", short of disk space" : "",
                "): dropped ", outcome->dropped_readings, " readings by policy ",
                config_.spool.policy == SpoolPolicy::kDropOldest ? "drop-oldest" : "reject-new",
                "; ", counters_.readings_dropped.load(), " dropped in all");
    }
  }
  if (outcome->stored) {
    counters_.batches_spooled.fetch_add(1);
    counters_.readings_spooled.fetch_add(readings);
    counters_.sealed_bytes.fetch_add(sealed.size());
  }
}

void Uplink::applyAcks(const std::vector<codec::SeqRange>& ranges) {
  auto removed = spool_.remove(ranges);
  if (!removed) {
    counters_.spool_errors.fetch_add(1);
    log::error("spool", "cannot remove acknowledged batches: ", removed.error().describe());
    return;
  }
  for (std::int64_t id : removed->ids) inflight_.erase(id);
  counters_.batches_acked.fetch_add(removed->ids.size());
  counters_.readings_acked.fetch_add(removed->readings);
}

bool Uplink::send(const SpoolEntry& entry) {
  auto r = client_.publish(up_topic_, entry.payload, 1, false);
  if (!r) {
    log::debug("uplink", "publish failed: ", r.error().describe());
    return false;
  }
  counters_.wire_bytes.fetch_add(entry.payload.size());
  return true;
}

std::size_t Uplink::backlogBatches() const {
  std::size_t n = 0;
  for (const auto& [id, f] : inflight_) n += f.backlog ? 1 : 0;
  return n;
}

void Uplink::service(std::chrono::steady_clock::time_point now) {
  std::vector<codec::SeqRange> acks;
  bool reconnected = false;
  {
    std::lock_guard lock(queue_mutex_);
    acks.swap(acks_);
    reconnected = std::exchange(reconnected_, false);
  }
  if (!acks.empty()) applyAcks(acks);
  if (config_.spool.max_age.count() > 0 && now >= next_age_check_) {
    enforceMaxAge();
    next_age_check_ = now + std::chrono::seconds(1);
  }
  if (reconnected) {
    // Whatever was in flight on the old connection may be lost: send it all again. What the
    // spool holds now is the backlog, sent oldest first at the backfill pace; batches sealed
    // from now on are live and go first.
    inflight_.clear();
    auto last = spool_.lastId();
    backlog_end_ = last && *last ? **last : 0;
    backlog_cursor_ = 0;
    live_cursor_ = backlog_end_;
    backfill_tokens_ = 0;
    last_refill_ = now;
    if (spool_.batches() > 0) {
      log::info("uplink", "backlog of ", spool_.batches(), " batches (", spool_.readings(),
                " readings) to send at ", config_.backfill_readings_per_s, " readings/s");
    }
  }
  if (!client_.isConnected()) return;
  // Token bucket in readings for the backlog (first sends and resends alike): refilled at the
  // backfill pace, at most one second's worth banked.
  double rate = static_cast<double>(config_.backfill_readings_per_s);
  backfill_tokens_ = std::min(
      rate, backfill_tokens_ + rate * std::chrono::duration<double>(now - last_refill_).count());
  last_refill_ = now;
  if (!resendOverdue(now)) return;
  if (!sendLive(now)) return;
  sendBacklog(now);
}

bool Uplink::resendOverdue(std::chrono::steady_clock::time_point now) {
  for (auto it = inflight_.begin(); it != inflight_.end();) {
    if (now - it->second.sent_at < config_.ack_timeout) {
      ++it;
      continue;
    }
    auto entry = spool_.get(it->first);
    if (!entry) {
      counters_.spool_errors.fetch_add(1);
      return false;
    }
    if (!*entry) {  // acknowledged or dropped by policy meanwhile
      it = inflight_.erase(it);
      continue;
    }
    if (it->second.backlog) {
      if (backfill_tokens_ <= 0) {  // resent later, at the pace
        ++it;
        continue;
      }
      backfill_tokens_ -= (*entry)->readings;
    }
    if (!send(**entry)) return false;
    it->second.sent_at = now;
    counters_.batches_resent.fetch_add(1);
    ++it;
  }
  return true;
}

bool Uplink::sendLive(std::chrono::steady_clock::time_point now) {
  while (inflight_.size() < config_.max_inflight) {
    auto entries = spool_.after(live_cursor_, config_.max_inflight - inflight_.size());
    if (!entries) {
      counters_.spool_errors.fetch_add(1);
      log::error("spool", "cannot read batches: ", entries.error().describe());
      return false;
    }
    if (entries->empty()) break;
    for (const SpoolEntry& entry : *entries) {
      if (!send(entry)) return false;
      inflight_[entry.id] = InFlight{now, false};
      live_cursor_ = entry.id;
      counters_.batches_sent.fetch_add(1);
    }
  }
  return true;
}

void Uplink::sendBacklog(std::chrono::steady_clock::time_point now) {
  if (backlog_cursor_ >= backlog_end_) return;
  // Backlog may use at most half the window, so live batches always find room.
  std::size_t backlog_inflight = 0;
  for (const auto& [id, f] : inflight_) backlog_inflight += f.backlog ? 1 : 0;
  std::size_t cap = std::max<std::size_t>(1, config_.max_inflight / 2);
  while (backfill_tokens_ > 0 && backlog_inflight < cap &&
         inflight_.size() < config_.max_inflight + cap) {
    auto entries = spool_.after(backlog_cursor_, 1);
    if (!entries || entries->empty() || entries->front().id > backlog_end_) {
      backlog_cursor_ = backlog_end_;
      return;
    }
    const SpoolEntry& entry = entries->front();
    if (!send(entry)) return;
    inflight_[entry.id] = InFlight{now, true};
    backlog_cursor_ = entry.id;
    backfill_tokens_ -= entry.readings;
    ++backlog_inflight;
    counters_.batches_sent.fetch_add(1);
    counters_.batches_backfilled.fetch_add(1);
  }
}

void Uplink::enforceMaxAge() {
  std::int64_t cutoff =
      wallMillis() -
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.spool.max_age).count();
  auto dropped = spool_.dropOlderThan(cutoff);
  if (!dropped) {
    counters_.spool_errors.fetch_add(1);
    log::error("spool", "cannot drop expired batches: ", dropped.error().describe());
    return;
  }
  if (dropped->dropped_readings == 0) return;
  counters_.batches_dropped.fetch_add(dropped->dropped_batches);
  counters_.readings_dropped.fetch_add(dropped->dropped_readings);
  log::warn("spool", "dropped ", dropped->dropped_readings, " readings in ",
            dropped->dropped_batches, " batches older than spool.max_age_s (",
            config_.spool.max_age.count(), " s); ", counters_.readings_dropped.load(),
            " dropped in all");
}

void Uplink::publishStatus(const std::string& json) {
  (void)client_.publish(status_topic_, json, 1, true);
}

}  // namespace dots::gateway
