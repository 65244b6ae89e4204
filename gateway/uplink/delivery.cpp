#include "gateway/uplink/delivery.h"

#include <algorithm>

#include "shared/log/log.h"

namespace dots::gateway {

Delivery::Delivery(DeliveryOptions options, std::string topic, Spool& spool,
                   mqtt::Publisher& publisher, UplinkCounters& counters)
    : options_(options),
      topic_(std::move(topic)),
      spool_(spool),
      publisher_(publisher),
      counters_(counters) {}

void Delivery::restart(TimePoint now) {
  inflight_.clear();
  auto last = spool_.lastId();
  backlog_end_ = last && *last ? **last : 0;
  backlog_cursor_ = 0;
  live_cursor_ = backlog_end_;
  backfill_tokens_ = 0;
  last_refill_ = now;
  if (spool_.batches() > 0) {
    log::info("uplink", "backlog of ", spool_.batches(), " batches (", spool_.readings(),
              " readings) to send at ", options_.backfill_readings_per_s, " readings/s");
  }
}

void Delivery::applyAck(const codec::AckContent& ack) {
  remove(ack.stored, counters_.batches_acked, counters_.readings_acked);
  if (ack.rejected.empty()) return;
  std::uint64_t before = counters_.readings_rejected.load();
  remove(ack.rejected, counters_.batches_rejected, counters_.readings_rejected);
  log::error("uplink", "the ingester dead-lettered ", counters_.readings_rejected.load() - before,
             " readings (it refused their batches for good; they are in its dead-letter table)");
}

void Delivery::remove(const std::vector<codec::SeqRange>& ranges,
                      std::atomic<std::uint64_t>& batches, std::atomic<std::uint64_t>& readings) {
  if (ranges.empty()) return;
  auto removed = spool_.remove(ranges);
  if (!removed) {
    counters_.spool_errors.fetch_add(1);
    log::error("spool", "cannot remove acknowledged batches: ", removed.error().describe());
    return;
  }
  for (std::int64_t id : removed->ids) inflight_.erase(id);
  batches.fetch_add(removed->ids.size());
  readings.fetch_add(removed->readings);
}

bool Delivery::send(const SpoolEntry& entry) {
  auto r = publisher_.publish(topic_, entry.payload, 1, false);
  if (!r) {
    log::debug("uplink", "publish failed: ", r.error().describe());
    return false;
  }
  counters_.wire_bytes.fetch_add(entry.payload.size());
  return true;
}

std::size_t Delivery::backlogBatches() const {
  return static_cast<std::size_t>(
      std::ranges::count_if(inflight_, [](const auto& item) { return item.second.backlog; }));
}

void Delivery::service(TimePoint now) {
  if (!publisher_.isConnected()) return;
  // Token bucket in readings for the backlog (first sends and resends alike): refilled at the
  // backfill pace, at most one second's worth banked.
  double rate = static_cast<double>(options_.backfill_readings_per_s);
  backfill_tokens_ = std::min(
      rate, backfill_tokens_ + rate * std::chrono::duration<double>(now - last_refill_).count());
  last_refill_ = now;
  if (!resendOverdue(now)) return;
  if (!sendLive(now)) return;
  sendBacklog(now);
}

bool Delivery::resendOverdue(TimePoint now) {
  for (auto it = inflight_.begin(); it != inflight_.end();) {
    if (now - it->second.sent_at < options_.ack_timeout) {
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

bool Delivery::sendLive(TimePoint now) {
  while (inflight_.size() < options_.max_inflight) {
    auto entries = spool_.after(live_cursor_, options_.max_inflight - inflight_.size());
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

void Delivery::sendBacklog(TimePoint now) {
  if (backlog_cursor_ >= backlog_end_) return;
  // Backlog may use at most half the window, so live batches always find room.
  std::size_t backlog_inflight = backlogBatches();
  std::size_t cap = std::max<std::size_t>(1, options_.max_inflight / 2);
  while (backfill_tokens_ > 0 && backlog_inflight < cap &&
         inflight_.size() < options_.max_inflight + cap) {
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

}  // namespace dots::gateway
