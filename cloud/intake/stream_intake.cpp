#include "cloud/intake/stream_intake.h"

#include "shared/log/log.h"

namespace dots::cloud {

std::shared_ptr<const net::DestinationPolicy> StreamIntake::policy() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

void StreamIntake::reconcile(const RoutingSnapshot& snapshot) {
  std::map<std::int64_t, std::unique_ptr<StreamSource>> next;
  std::map<std::int64_t, std::unique_ptr<StreamSource>> removed;
  {
    std::lock_guard lock(mutex_);
    policy_ = snapshot.destinations;
    for (const auto& [id, s] : snapshot.streams) {
      auto old = sources_.find(id);
      // A stream whose credentials changed (dotsctl stream set) reconnects with the new ones.
      if (old != sources_.end() && old->second->stream().auth == s.auth) {
        next[id] = std::move(old->second);
        sources_.erase(old);
        continue;
      }
      auto& pending = pending_[id];
      if (!pending) pending = std::make_shared<std::atomic<std::int64_t>>(0);
      auto source = std::make_unique<StreamSource>(
          s, environment_,
          [this, pending](const Stream& stream, std::string_view topic,
                          std::span<const std::uint8_t> payload) {
            if (pending->fetch_add(1) >= stream.limits.queue) {
              pending->fetch_sub(1);
              stats_.rejectStream(
                  stream.name,
                  Error{"stream-queue-full", std::to_string(stream.limits.queue) +
                                                 " messages of this stream wait already"},
                  topic);
              return;
            }
            StreamMessage m{stream.id, std::string(topic),
                            std::vector<std::uint8_t>(payload.begin(), payload.end()),
                            std::make_shared<QueueSlot>(pending)};
            (void)queue_.push(std::move(m));
          },
          [this](const Stream& stream, std::string_view topic, const Error& error) {
            stats_.rejectStream(stream.name, error, topic);
          },
          [this] { return policy(); });
      source->start();
      log::info("ingest", "stream ", s.name, ": ", s.broker, " ", s.topic, " -> ", s.channel,
                " (at most ", s.limits.max_message_bytes, " bytes a message, ", s.limits.rate_per_s,
                " messages/s, ", s.limits.queue, " queued)");
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
