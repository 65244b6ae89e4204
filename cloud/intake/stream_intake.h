#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cloud/ingest/ingest_stats.h"
#include "cloud/ingest/routing.h"
#include "cloud/intake/intake_queue.h"
#include "cloud/intake/stream_source.h"

namespace dots::cloud {

// The streams of this environment: one StreamSource (an MQTT client of the other system's
// broker) per stream of the routing snapshot, each accepted message queued as a StreamMessage.
// A stream holds at most its `queue` limit of messages in the intake queue at once; beyond
// that its messages are dropped ("stream-queue-full"), so one stream cannot fill the queue the
// gateways share. Every rejection is counted in `stats` by reason and per stream, and logged
// rate-limited.
class StreamIntake {
 public:
  StreamIntake(std::string environment, IntakeQueue& queue, StatsBoard& stats)
      : environment_(std::move(environment)), queue_(queue), stats_(stats) {}
  ~StreamIntake() { stopAll(); }

  // Starts the sources of new streams and stops those of removed ones, and takes the
  // snapshot's allow-list for the next connects (worker thread).
  void reconcile(const RoutingSnapshot& snapshot);
  void stopAll();
  std::size_t size() const;

 private:
  std::shared_ptr<const net::DestinationPolicy> policy() const;

  std::string environment_;
  IntakeQueue& queue_;
  StatsBoard& stats_;
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::unique_ptr<StreamSource>> sources_;
  std::map<std::int64_t, std::shared_ptr<std::atomic<std::int64_t>>> pending_;  // by stream
  std::shared_ptr<const net::DestinationPolicy> policy_;
};

}  // namespace dots::cloud
