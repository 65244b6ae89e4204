#include "cloud/ingest/commit_worker.h"

#include <map>

#include "shared/app/thread_name.h"
#include "shared/senml/topic_name.h"
#include "shared/text/glob.h"
#include "shared/time/clock.h"

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

void CommitWorker::refuse(const std::vector<IncomingMessage>& group) {
  std::uint64_t streams = 0;
  for (const IncomingMessage& m : group) streams += std::holds_alternative<StreamMessage>(m);
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
  auto counts = parts_.pruner->prune(routing->retention, wallMillis(), parts_.retention_rows);
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

void CommitWorker::process(std::vector<IncomingMessage>& messages) {
  auto routing = parts_.topology.current();  // the registry as of now
  std::vector<IncomingBatch> admitted;
  std::vector<const StreamMessage*> stream_messages;
  admitted.reserve(messages.size());
  std::uint64_t other_environment = 0;
  for (IncomingMessage& message : messages) {
    if (const auto* s = std::get_if<StreamMessage>(&message)) {
      stream_messages.push_back(s);
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
    admitted.push_back(std::move(*m.admitted));
  }
  parts_.stats.update([&](IngestStats& s) {
    s.messages += messages.size();
    s.other_environment += other_environment;
  });
  if (!routing || (admitted.empty() && stream_messages.empty())) return;

  std::vector<bool> duplicate(admitted.size());
  std::vector<std::size_t> sizes;  // the channels may take the readings out of their batch
  for (const IncomingBatch& in : admitted) sizes.push_back(in.batch.readings.size());
  std::uint64_t readings = 0;
  BatchWriter& writer = parts_.writer;
  auto commit = [&]() -> Result<void> {
    if (auto r = writer.begin(); !r) return r;
    for (std::size_t i = 0; i < admitted.size(); ++i) {
      IncomingBatch& in = admitted[i];
      auto fresh = writer.recordBatch(in.gateway, in.epoch, in.seq, sizes[i], in.batch.historical);
      if (!fresh) return std::unexpected(fresh.error());
      duplicate[i] = !*fresh;
      if (duplicate[i]) continue;
      readings += sizes[i];
      if (auto r = runChannels(*routing, in.gateway, in.batch); !r) return r;
    }
    for (const StreamMessage* m : stream_messages) {
      if (auto r = runStream(*routing, *m); !r) return r;
    }
    return writer.commit();
  };
  if (auto r = commit(); !r) {
    writer.rollback();
    routing->abortHandlers();  // the handlers see these batches again when they are resent
    // Nothing is acknowledged, so the gateways will send these batches again.
    parts_.stats.reject(Error{"store-error", r.error().describe()}, "(commit)");
    return;
  }
  routing->commitHandlers();
  if (parts_.on_commit) parts_.on_commit();

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
    parts_.stats.logDuplicate(admitted[i].gateway, admitted[i].epoch, admitted[i].seq);
  }
  parts_.acker.enqueue(
      {std::make_move_iterator(acks.begin()), std::make_move_iterator(acks.end())});
  parts_.stats.update([&](IngestStats& s) {
    s.batches_stored += admitted.size() - duplicates;
    s.readings_stored += readings;
    s.duplicates += duplicates;
    for (const auto& [gw, counts] : per_endpoint) {
      s.endpoint_batches[gw] += counts.first;
      s.endpoint_readings[gw] += counts.second;
    }
  });
}

}  // namespace dots::cloud
