#include "cloud/intake/stream_intake.h"

#include "shared/log/log.h"

namespace dots::cloud {

void StreamIntake::reconcile(const RoutingSnapshot& snapshot) {
  std::map<std::int64_t, std::unique_ptr<StreamSource>> next;
  std::map<std::int64_t, std::unique_ptr<StreamSource>> removed;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, s] : snapshot.streams) {
      auto old = sources_.find(id);
      // A stream whose credentials changed (dotsctl stream set) reconnects with the new ones.
      if (old != sources_.end() && old->second->stream().auth == s.auth) {
        next[id] = std::move(old->second);
        sources_.erase(old);
        continue;
      }
      auto source = std::make_unique<StreamSource>(
          s, environment_,
          [this](const Stream& stream, std::string_view topic,
                 std::span<const std::uint8_t> payload) {
            (void)queue_.push(
                StreamMessage{stream.id, std::string(topic),
                              std::vector<std::uint8_t>(payload.begin(), payload.end())});
          });
      source->start();
      log::info("ingest", "stream ", s.name, ": ", s.broker, " ", s.topic, " -> ", s.channel);
      next[id] = std::move(source);
    }
    removed.swap(sources_);
    sources_ = std::move(next);
  }
  // Removed streams' clients are stopped outside the lock (their threads may be queueing).
}

void StreamIntake::stopAll() {
  std::map<std::int64_t, std::unique_ptr<StreamSource>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(sources_);
  }
}

std::size_t StreamIntake::size() const {
  std::lock_guard lock(mutex_);
  return sources_.size();
}

}  // namespace dots::cloud
