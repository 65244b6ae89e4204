#include "cloud/ingest/commit_worker.h"

#include <map>

#include "cloud/store/row_json.h"
#include "shared/app/thread_name.h"
#include "shared/log/log.h"
#include "shared/senml/topic_name.h"
#include "shared/text/glob.h"
#include "shared/time/clock.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

void CommitWorker::start() {
  thread_ = std::thread([this] {
    nameThisThread("ingest-worker");
    run();
  });
}

void CommitWorker::join() {
  if (thread_.joinable()) thread_.join();
}

void CommitWorker::run() {
  auto next_stats = SteadyClock::now() + stats_interval_;
  auto next_registry_check = SteadyClock::now();
  std::vector<IncomingMessage> group;
  while (parts_.queue.popGroup(group, max_group_, std::chrono::milliseconds(200))) {
    if (!group.empty() || SteadyClock::now() >= next_registry_check) {
      if (parts_.topology.refresh() && parts_.on_topology) {
        parts_.on_topology(*parts_.topology.current());
      }
      next_registry_check = SteadyClock::now() + std::chrono::milliseconds(500);
    }
    if (!group.empty()) {
      if (parts_.disk && parts_.disk->low()) {
        refuse(group);
      } else {
        process(group);
      }
      group.clear();
    }
    if (parts_.pruner && retention_schedule_.due(SteadyClock::now())) prune();
    if (SteadyClock::now() >= next_stats) {
      parts_.stats.logSummary(false);
      next_stats = SteadyClock::now() + stats_interval_;
    }
  }
}

void CommitWorker::refuse(std::vector<IncomingMessage>& group) {
  std::uint64_t streams = 0;
  for (IncomingMessage& m : group) {
    streams += std::holds_alternative<StreamMessage>(m);
    if (auto* p = std::get_if<PushMessage>(&m)) {
      p->done->set_value(PushOutcome{fail("disk-low", "the store's disk is below its watermark")});
    }
    if (auto* a = std::get_if<AckMessage>(&m)) {
      a->done->set_value(fail("disk-low", "the store's disk is below its watermark"));
    }
  }
  std::uint64_t batches = group.size() - streams;
  IngestStats now;
  parts_.stats.update([&](IngestStats& s) {
    s.messages += group.size();
    s.disk_low_not_acked += batches;
    s.disk_low_stream_dropped += streams;
    now = s;
  });
  long suppressed = 0;
  if (log_limiter_.allow("disk-low", suppressed)) {
    log::warn("ingest", "disk below the watermark: ", batches,
              " batches not committed nor acknowledged (their gateways send them again), ", streams,
              " stream messages dropped (", now.disk_low_not_acked, " and ",
              now.disk_low_stream_dropped, " so far",
              suppressed ? log::concat(", ", suppressed, " lines not logged") : "", ")");
  }
}

bool CommitWorker::prune() {
  auto routing = parts_.topology.current();
  auto now = SteadyClock::now();
  if (!parts_.pruner || !routing) {
    retention_schedule_.ran(now, false);
    return true;
  }
  auto counts = parts_.pruner->prune(routing->retention, parts_.ledger_window.count(), wallMillis(),
                                     parts_.retention_rows);
  if (!counts) {
    retention_schedule_.failed(now);
    parts_.stats.update([](IngestStats& s) { ++s.retention_failures; });
    long suppressed = 0;
    if (log_limiter_.allow("retention-failed", suppressed)) {
      log::error("ingest", "retention pass failed: ", counts.error().describe(),
                 " (tried again in ", parts_.retention_interval.count(), " ms)");
    }
    return false;
  }
  retention_schedule_.ran(now, counts->more);
  parts_.stats.update([&](IngestStats& s) {
    ++s.retention_passes;
    s.pruned_reading_blocks += counts->reading_blocks;
    s.pruned_readings += counts->readings;
    s.pruned_aggregates += counts->aggregates;
    s.pruned_alerts += counts->alerts;
    s.pruned_outbox += counts->outbox;
    s.pruned_ledger += counts->ledger;
  });
  long suppressed = 0;
  if (counts->rows() > 0 && log_limiter_.allow("retention", suppressed)) {
    log::info("ingest", "retention: deleted ", counts->readings, " readings in ",
              counts->reading_blocks, " blocks, ", counts->aggregates, " aggregate windows, ",
              counts->alerts, " alerts, ", counts->outbox, " outbox rows",
              counts->more ? " (more expired: next pass after the next group)" : "",
              suppressed ? log::concat(" (", suppressed, " passes not logged)") : "");
  }
  return true;
}

Result<void> CommitWorker::runChannels(const RoutingSnapshot& routing, const std::string& gateway,
                                       Batch& batch) {
  auto found = routing.routes.find(gateway);
  if (found == routing.routes.end()) return {};
  const auto& targets = found->second;
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
    auto r = target.channel->run(std::move(selected), gateway, batch.historical, parts_.writer);
    if (!r) return r;
  }
  return {};
}

Result<void> CommitWorker::runStream(const RoutingSnapshot& routing, const StreamMessage& m) {
  auto found = routing.streams.find(m.stream_id);
  if (found == routing.streams.end()) return {};  // removed meanwhile
  const Stream& s = found->second;
  auto ch = routing.channels.find(s.channel_id);
  if (ch == routing.channels.end()) return {};
  std::vector<Reading> readings;
  std::string name = senml::nameFromTopic(m.topic, {s.topic});
  std::string_view text(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  if (auto r = stream_parser_.parse(text, name, wallMillis(), readings); !r) {
    parts_.stats.reject(r.error(), m.topic);
    return {};
  }
  parts_.stats.update([&](IngestStats& st) { ++st.stream_messages[s.name]; });
  return ch->second->run(std::move(readings), "stream:" + s.name, false, parts_.writer);
}

namespace {
// "(run R, epoch E, seq S)": a batch key as the logs and alerts name it.
std::string keyText(const codec::BatchId& id) {
  return "(run " + std::to_string(id.run) + ", epoch " + std::to_string(id.epoch) + ", seq " +
         std::to_string(id.seq) + ")";
}
}  // namespace

void CommitWorker::answerPushes(const std::vector<PushMessage*>& pushes,
                                const std::vector<BatchWriter::Recorded>& recorded) {
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> per_endpoint;
  std::uint64_t duplicates = 0;
  std::uint64_t readings = 0;
  std::uint64_t fresh = 0;
  for (std::size_t i = 0; i < pushes.size(); ++i) {
    PushMessage& p = *pushes[i];
    PushOutcome out;
    switch (recorded[i]) {
      case BatchWriter::Recorded::kFresh: {
        out.stored = p.readings.size();
        ++fresh;
        auto& e = per_endpoint[p.endpoint];
        e.first += 1;
        e.second += out.stored;
        readings += out.stored;
        break;
      }
      case BatchWriter::Recorded::kDuplicate:
        out.duplicate = true;
        ++duplicates;
        break;
      default:
        out.result = fail("conflict", "another body was pushed under this Idempotency-Key");
        parts_.stats.reject(out.result.error(), "push/" + p.endpoint);
        break;
    }
    p.done->set_value(std::move(out));
  }
  parts_.stats.update([&](IngestStats& s) {
    s.batches_stored += fresh;
    s.readings_stored += readings;
    s.duplicates += duplicates;
    for (const auto& [ep, counts] : per_endpoint) {
      s.endpoint_batches[ep] += counts.first;
      s.endpoint_readings[ep] += counts.second;
    }
  });
}

bool CommitWorker::failedForGood(const IncomingBatch& in) {
  // Counted per batch key; a bounded map (cleared when full: the count starts again).
  if (failures_.size() >= 10000) failures_.clear();
  return ++failures_[{in.gateway, in.id}] >= parts_.dead_letter_after;
}

Result<void> CommitWorker::raiseConflict(const IncomingBatch& in) {
  Alert alert;
  alert.kind = "conflict";
  alert.state = "raised";
  alert.gateway = in.gateway;
  alert.time_ms = wallMillis();
  alert.message =
      "a different batch under the used key " + keyText(in.id) + ": not stored, not acknowledged";
  auto id = parts_.writer.recordAlert(0, in.account, kIngestChannel, alert);
  if (!id) return std::unexpected(id.error());
  return parts_.writer.enqueueDelivery(*id, "mqtt",
                                       topics::channelAlerts(in.account, kIngestChannel),
                                       alertJson(*id, in.account, kIngestChannel, alert));
}

void CommitWorker::process(std::vector<IncomingMessage>& messages) {
  auto routing = parts_.topology.current();  // the registry as of now
  std::vector<IncomingBatch> admitted;
  std::vector<std::pair<IncomingBatch, const GatewayMessage*>> refused;
  std::vector<const StreamMessage*> stream_messages;
  std::vector<PushMessage*> pushes;
  std::vector<AckMessage*> acks_asked;
  admitted.reserve(messages.size());
  std::uint64_t other_environment = 0;
  for (IncomingMessage& message : messages) {
    if (const auto* s = std::get_if<StreamMessage>(&message)) {
      stream_messages.push_back(s);
      continue;
    }
    if (auto* a = std::get_if<AckMessage>(&message)) {
      acks_asked.push_back(a);
      continue;
    }
    if (auto* p = std::get_if<PushMessage>(&message)) {
      auto admitted_push =
          parts_.admitter.admitPush(routing ? routing->admission.get() : nullptr, p->endpoint);
      if (!admitted_push) {
        parts_.stats.reject(admitted_push.error(), "push/" + p->endpoint);
        p->done->set_value(PushOutcome{std::unexpected(admitted_push.error())});
        continue;
      }
      pushes.push_back(p);
      continue;
    }
    auto& m = std::get<GatewayMessage>(message);
    if (routing != m.admitted_with) {
      m.admitted =
          parts_.admitter.admit(routing ? routing->admission : nullptr, m.topic, m.payload);
      m.admitted_with = routing;
    }
    if (!m.admitted) {
      if (m.admitted.error().reason == "other-environment") {
        ++other_environment;  // another environment's ingester serves it
      } else {
        parts_.stats.reject(m.admitted.error(), m.topic);
      }
      continue;
    }
    if (m.admitted->refused) {
      parts_.stats.reject(*m.admitted->refused, m.topic);
      if (failedForGood(*m.admitted)) refused.emplace_back(std::move(*m.admitted), &m);
      continue;
    }
    if (!limiter_.allow(m.admitted->gateway, m.admitted->batch.readings.size(), m.payload.size(),
                        SteadyClock::now())) {
      // Not acknowledged: the gateway sends it again after its ack timeout.
      parts_.stats.reject(Error{"rate-limited", "over the endpoint's rate"}, m.topic);
      continue;
    }
    admitted.push_back(std::move(*m.admitted));
  }
  parts_.stats.update([&](IngestStats& s) {
    s.messages += messages.size();
    s.other_environment += other_environment;
  });
  if (!routing) {
    for (AckMessage* ack : acks_asked) {
      ack->done->set_value(fail("unrouted", "the registry is not loaded yet"));
    }
  }
  if (!routing || (admitted.empty() && stream_messages.empty() && refused.empty() &&
                   pushes.empty() && acks_asked.empty())) {
    return;
  }

  using Recorded = BatchWriter::Recorded;
  std::vector<Recorded> recorded(admitted.size());
  std::vector<Recorded> dead(refused.size());
  std::vector<Recorded> pushed(pushes.size());
  std::vector<bool> acked_found(acks_asked.size());
  std::vector<std::size_t> sizes;  // the channels may take the readings out of their batch
  for (const IncomingBatch& in : admitted) sizes.push_back(in.batch.readings.size());
  std::uint64_t readings = 0;
  BatchWriter& writer = parts_.writer;
  auto commit = [&]() -> Result<void> {
    if (auto r = writer.begin(); !r) return r;
    for (std::size_t i = 0; i < admitted.size(); ++i) {
      IncomingBatch& in = admitted[i];
      auto was = writer.recordBatch(in.gateway, in.id, in.digest, sizes[i], in.batch.historical);
      if (!was) return std::unexpected(was.error());
      recorded[i] = *was;
      if (*was == Recorded::kConflict && !alerted_conflicts_.contains({in.gateway, in.id})) {
        if (auto r = raiseConflict(in); !r) return r;
      }
      if (*was != Recorded::kFresh) continue;
      readings += sizes[i];
      if (auto r = runChannels(*routing, in.gateway, in.batch); !r) return r;
    }
    for (std::size_t i = 0; i < refused.size(); ++i) {
      const IncomingBatch& in = refused[i].first;
      auto was = writer.recordDeadLetter(in.gateway, in.id, in.digest, *in.refused,
                                         refused[i].second->payload);
      if (!was) return std::unexpected(was.error());
      dead[i] = *was;
    }
    for (const StreamMessage* m : stream_messages) {
      if (auto r = runStream(*routing, *m); !r) return r;
    }
    for (std::size_t i = 0; i < pushes.size(); ++i) {
      PushMessage& p = *pushes[i];
      auto was = writer.recordPush(p.endpoint, p.key, p.digest, p.readings.size());
      if (!was) return std::unexpected(was.error());
      pushed[i] = *was;
      if (*was != Recorded::kFresh) continue;
      Batch batch;
      batch.readings = p.readings;  // kept for the answer's count should the commit fail
      if (auto r = runChannels(*routing, p.endpoint, batch); !r) return r;
    }
    for (std::size_t i = 0; i < acks_asked.size(); ++i) {
      AckMessage& a = *acks_asked[i];
      auto found = writer.acknowledgeAlert(a.alert_id, a.channel_ids, AlertAck{a.by, a.at_ms});
      if (!found) return std::unexpected(found.error());
      acked_found[i] = *found;
    }
    return writer.commit();
  };
  if (auto r = commit(); !r) {
    writer.rollback();
    routing->abortHandlers();  // the handlers see these batches again when they are resent
    // Nothing is acknowledged, so the gateways will send these batches again.
    parts_.stats.reject(Error{"store-error", r.error().describe()}, "(commit)");
    for (PushMessage* p : pushes) {
      p->done->set_value(PushOutcome{fail("store-error", "not stored; the POST may be retried")});
    }
    for (AckMessage* a : acks_asked) a->done->set_value(fail("store-error", "not recorded"));
    return;
  }
  routing->commitHandlers();
  if (parts_.on_commit) parts_.on_commit();
  answerPushes(pushes, pushed);
  for (std::size_t i = 0; i < acks_asked.size(); ++i)
    acks_asked[i]->done->set_value(acked_found[i]);

  // One ack per gateway, signed under the ack key of the highest key id it sealed with.
  std::map<std::string, GatewayAck> acks;
  auto ackFor = [&](const IncomingBatch& in) -> GatewayAck& {
    GatewayAck& a = acks[in.gateway];
    if (!a.ack_key || in.key_id > a.key_id) {
      a.gateway = in.gateway;
      a.key_id = in.key_id;
      a.ack_key = in.ack_key;
    }
    return a;
  };
  // Not stored (its key left the ledger, so it may have been stored before): the gateway is told
  // to drop it, and it is counted and logged.
  auto refuseTooOld = [&](const IncomingBatch& in) {
    ackFor(in).rejected.push_back(in.id);
    parts_.stats.reject(
        Error{"replay-too-old", "under the replay floor of its run: " + keyText(in.id)},
        topics::up(in.gateway));
  };
  std::uint64_t duplicates = 0;
  std::uint64_t stored = 0;
  std::uint64_t dead_lettered = 0;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> per_endpoint;
  for (std::size_t i = 0; i < admitted.size(); ++i) {
    const IncomingBatch& in = admitted[i];
    switch (recorded[i]) {
      case Recorded::kFresh: {
        ackFor(in).stored.push_back(in.id);
        ++stored;
        auto& e = per_endpoint[in.gateway];
        e.first += 1;
        e.second += sizes[i];
        break;
      }
      case Recorded::kDuplicate:
        ackFor(in).stored.push_back(in.id);
        ++duplicates;
        parts_.stats.logDuplicate(in.gateway, in.id.epoch, in.id.seq);
        break;
      case Recorded::kDeadLettered: ackFor(in).rejected.push_back(in.id); break;
      case Recorded::kTooOld: refuseTooOld(in); break;
      case Recorded::kConflict:
        // Never acknowledged as stored: counted, logged and alerted (once per key).
        if (alerted_conflicts_.size() >= 10000) alerted_conflicts_.clear();
        alerted_conflicts_.insert({in.gateway, in.id});
        parts_.stats.reject(
            Error{"conflict", "a different batch under the used key " + keyText(in.id)},
            topics::up(in.gateway));
        break;
    }
  }
  for (std::size_t i = 0; i < refused.size(); ++i) {
    const IncomingBatch& in = refused[i].first;
    if (dead[i] == Recorded::kDuplicate) {
      ackFor(in).stored.push_back(in.id);  // it was stored before after all
    } else if (dead[i] == Recorded::kConflict) {
      parts_.stats.reject(Error{"conflict", "a refused batch under a used key"},
                          topics::up(in.gateway));
    } else if (dead[i] == Recorded::kTooOld) {
      refuseTooOld(in);
      failures_.erase({in.gateway, in.id});
    } else {
      ackFor(in).rejected.push_back(in.id);
      if (dead[i] == Recorded::kFresh) {
        ++dead_lettered;
        log::error("ingest", "dead-lettered batch (run ", in.id.run, ", epoch ", in.id.epoch,
                   ", seq ", in.id.seq, ") of ", in.gateway, ": ", in.refused->describe(),
                   " (refused ", parts_.dead_letter_after, " times)");
      }
      failures_.erase({in.gateway, in.id});
    }
  }
  std::vector<GatewayAck> out;
  out.reserve(acks.size());
  for (auto& [gw, a] : acks) out.push_back(std::move(a));
  parts_.acker.enqueue(std::move(out));
  parts_.stats.update([&](IngestStats& s) {
    s.batches_stored += stored;
    s.readings_stored += readings;
    s.duplicates += duplicates;
    s.dead_lettered += dead_lettered;
    for (const auto& [gw, counts] : per_endpoint) {
      s.endpoint_batches[gw] += counts.first;
      s.endpoint_readings[gw] += counts.second;
    }
  });
}

}  // namespace dots::cloud
