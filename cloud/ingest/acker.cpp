#include "cloud/ingest/acker.h"

#include "shared/app/thread_name.h"
#include "shared/topics/topics.h"

namespace dots::cloud {

void Acker::start() {
  thread_ = std::thread([this] {
    nameThisThread("ingest-acker");
    run();
  });
}

void Acker::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Acker::enqueue(std::vector<GatewayAck> acks) {
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> signed_acks;
  signed_acks.reserve(acks.size());
  for (GatewayAck& a : acks) {
    codec::AckContent content{codec::toRanges(std::move(a.stored)),
                              codec::toRanges(std::move(a.rejected))};
    signed_acks.emplace_back(topics::ack(a.gateway),
                             codec::encodeAck(*a.ack_key, a.gateway, a.key_id, content));
  }
  {
    std::lock_guard lock(mutex_);
    for (auto& item : signed_acks) queue_.push_back(std::move(item));
  }
  cv_.notify_one();
}

void Acker::run() {
  for (;;) {
    decltype(queue_) acks;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      acks.swap(queue_);
    }
    std::uint64_t sent = 0;
    for (const auto& [topic, payload] : acks) {
      (void)client_.waitInflightBelow(kWindow, std::chrono::seconds(1));
      if (client_.publish(topic, payload, 1)) ++sent;
    }
    stats_.update([sent](IngestStats& s) { s.acks_sent += sent; });
  }
}

}  // namespace dots::cloud
