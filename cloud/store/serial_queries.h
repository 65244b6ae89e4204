#pragma once

#include <memory>
#include <mutex>

#include "cloud/store/reading_queries.h"

namespace dots::cloud {

// One query connection shared by many threads (the HTTP workers): calls take turns.
class SerialQueries final : public ReadingQueries {
 public:
  explicit SerialQueries(std::unique_ptr<ReadingQueries> inner) : inner_(std::move(inner)) {}

  Result<ReadingCounts> count(const ReadingFilter& f) override {
    std::lock_guard lock(mutex_);
    return inner_->count(f);
  }
  Result<std::vector<SeriesStats>> stats(const ReadingFilter& f) override {
    std::lock_guard lock(mutex_);
    return inner_->stats(f);
  }
  Result<std::vector<StoredReading>> recent(const ReadingFilter& f, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return inner_->recent(f, limit);
  }
  Result<std::vector<StoredReading>> readings(const ReadingFilter& f, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return inner_->readings(f, limit);
  }
  Result<std::vector<ReadingBucket>> buckets(const ReadingFilter& f, std::int64_t from_ms,
                                             std::int64_t to_ms, std::size_t n) override {
    std::lock_guard lock(mutex_);
    return inner_->buckets(f, from_ms, to_ms, n);
  }
  Result<void> forEach(const ReadingFilter& f,
                       const std::function<void(const StoredReading&)>& visit) override {
    std::lock_guard lock(mutex_);
    return inner_->forEach(f, visit);
  }
  Result<std::vector<StoredAggregate>> aggregates(const ReadingFilter& f,
                                                  std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return inner_->aggregates(f, limit);
  }
  Result<std::vector<StoredAlert>> alerts(const ReadingFilter& f, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    return inner_->alerts(f, limit);
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<ReadingQueries> inner_;
};

}  // namespace dots::cloud
