#include "gateway/batcher/batcher.h"

namespace dots::gateway {

Batcher::Batcher(std::chrono::milliseconds linger, std::size_t max_readings)
    : linger_(linger), max_readings_(max_readings == 0 ? 1 : max_readings) {}

void Batcher::add(Reading reading, Clock::time_point now) {
  if (pending_.empty()) first_at_ = now;
  pending_.push_back(std::move(reading));
}

bool Batcher::due(Clock::time_point now) const {
  if (pending_.empty()) return false;
  return full() || now - first_at_ >= linger_;
}

std::optional<Batcher::Clock::time_point> Batcher::deadline() const {
  if (pending_.empty()) return std::nullopt;
  return first_at_ + linger_;
}

Batch Batcher::take() {
  Batch batch;
  if (pending_.size() <= max_readings_) {
    batch.readings.swap(pending_);
  } else {
    auto split = pending_.begin() + static_cast<std::ptrdiff_t>(max_readings_);
    batch.readings.assign(std::make_move_iterator(pending_.begin()),
                          std::make_move_iterator(split));
    pending_.erase(pending_.begin(), split);
    // The remainder keeps the age of the batch it came from, so it leaves promptly.
  }
  return batch;
}

}  // namespace dots::gateway
