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

void Acker::enqueue(std::vector<std::pair<std::string, std::vector<codec::BatchId>>> committed) {
  {
    std::lock_guard lock(mutex_);
    for (auto& [gateway, ids] : committed) {
      queue_.emplace_back(topics::ack(gateway), codec::encodeAck(codec::toRanges(std::move(ids))));
    }
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
