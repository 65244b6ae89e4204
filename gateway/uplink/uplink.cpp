#include "gateway/uplink/uplink.h"

#include <algorithm>
#include <stdexcept>

#include "shared/seal/keys.h"
#include "shared/topics/topics.h"

namespace dots::gateway {

Uplink::Uplink(UplinkOptions options, Spool spool, std::unique_ptr<mqtt::Connection> connection,
               std::function<void()> wake, std::function<std::int64_t()> wall_ms)
    : gateway_id_(options.seal.gateway_id),
      key_id_(options.seal.key_id),
      ack_key_(seal::deriveKey(options.seal.key, seal::Purpose::kAck, gateway_id_, key_id_)),
      spool_(std::move(spool)),
      connection_(std::move(connection)),
      wake_(std::move(wake)),
      wall_ms_(std::move(wall_ms)),
      status_topic_(topics::status(gateway_id_)),
      sealer_(std::move(options.seal)),
      appender_(spool_, options.spool, counters_),
      delivery_(options.delivery, topics::up(gateway_id_), spool_, *connection_, counters_) {
  connection_->subscribe(topics::ack(gateway_id_), 1);
  connection_->onMessage(
      [this](std::string_view, std::span<const std::uint8_t> payload) { onAckMessage(payload); });
  connection_->onConnected([this] {
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
  auto now_s = static_cast<std::uint32_t>(wall_ms_() / 1000);
  auto epoch = spool_.reserveEpoch(now_s);
  if (!epoch)
    throw std::runtime_error("spool: cannot reserve an epoch: " + epoch.error().describe());
  sealer_.beginRun(seal::randomRun(), *epoch);
  log::info("uplink", "gateway ", gateway_id_, " epoch ", *epoch, " run ", sealer_.run(),
            "; spool holds ", spool_.batches(), " batches (", spool_.readings(), " readings, ",
            spool_.bytes(), " bytes)");
  connection_->start();
}

void Uplink::stop() {
  connection_->stop();
}

bool Uplink::hasWork() const {
  std::lock_guard lock(queue_mutex_);
  return reconnected_ || !acks_.empty();
}

void Uplink::onAckMessage(std::span<const std::uint8_t> payload) {
  auto ack = codec::decodeAck(payload, gateway_id_, key_id_, ack_key_);
  if (!ack) {
    counters_.acks_rejected.fetch_add(1);
    long suppressed = 0;
    if (log_limiter_.allow("ack", suppressed)) {
      log::warn("uplink", "dropped an ack: ", ack.error().describe(), " (",
                counters_.acks_rejected.load(), " dropped in all)");
    }
    return;
  }
  {
    std::lock_guard lock(queue_mutex_);
    acks_.push_back(std::move(*ack));
  }
  wake_();
}

bool Uplink::namesOnlySealed(const codec::AckContent& ack) {
  auto unsealed = [this](const codec::SeqRange& r) {
    return r.run == sealer_.run() && r.last >= sealer_.nextSeq();
  };
  if (std::ranges::none_of(ack.stored, unsealed) && std::ranges::none_of(ack.rejected, unsealed)) {
    return true;
  }
  counters_.acks_unknown_seq.fetch_add(1);
  long suppressed = 0;
  if (log_limiter_.allow("ack-unknown-seq", suppressed)) {
    log::error("uplink", "dropped an authentic ack naming batches never sealed (seq ",
               sealer_.nextSeq(), " and above of this run)");
  }
  return false;
}

void Uplink::submit(Batch&& batch) {
  if (batch.readings.empty()) return;
  // Sealed while the uplink is down, it will travel as backlog: handlers may store and
  // aggregate it but should not page anyone about it.
  batch.historical = !connection_->isConnected();
  appender_.append(sealer_.seal(batch), wall_ms_());
}

void Uplink::service(std::chrono::steady_clock::time_point now) {
  std::vector<codec::AckContent> acks;
  bool reconnected = false;
  {
    std::lock_guard lock(queue_mutex_);
    acks.swap(acks_);
    reconnected = std::exchange(reconnected_, false);
  }
  for (const auto& ack : acks) {
    if (namesOnlySealed(ack)) delivery_.applyAck(ack);
  }
  if (appender_.hasAgeLimit() && now >= next_age_check_) {
    appender_.dropExpired(wall_ms_());
    next_age_check_ = now + std::chrono::seconds(1);
  }
  // Whatever was in flight on the old connection may be lost: send it all again.
  if (reconnected) delivery_.restart(now);
  delivery_.service(now);
}

void Uplink::publishStatus(const std::string& json) {
  (void)connection_->publish(status_topic_, json, 1, true);
}

}  // namespace dots::gateway
