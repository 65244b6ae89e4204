#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cloud/ingest/routing.h"
#include "cloud/intake/intake_queue.h"
#include "cloud/intake/stream_source.h"

namespace dots::cloud {

// The streams of this environment: one StreamSource (an MQTT client of the other system's
// broker) per stream of the routing snapshot, each message queued as a StreamMessage.
class StreamIntake {
 public:
  StreamIntake(std::string environment, IntakeQueue& queue)
      : environment_(std::move(environment)), queue_(queue) {}
  ~StreamIntake() { stopAll(); }

  // Starts the sources of new streams and stops those of removed ones (worker thread).
  void reconcile(const RoutingSnapshot& snapshot);
  void stopAll();
  std::size_t size() const;

 private:
  std::string environment_;
  IntakeQueue& queue_;
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::unique_ptr<StreamSource>> sources_;
};

}  // namespace dots::cloud
