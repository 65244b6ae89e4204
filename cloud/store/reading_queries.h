#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cloud/store/channel_sink.h"
#include "shared/error/error.h"
#include "shared/model/reading.h"

namespace dots::cloud {

struct ReadingFilter {
  std::optional<std::string> gateway;
  std::optional<std::string> sensor;
  std::optional<std::int64_t> from_ms;  // inclusive
  std::optional<std::int64_t> to_ms;    // exclusive
  std::optional<std::int64_t> channel_id;
  // An account's scope: only what these channels stored (readings, aggregates) or raised
  // (alerts), as the SQL itself says; nullopt: everything (dotsctl on the data folder).
  std::optional<std::vector<std::int64_t>> channel_ids;
  std::optional<std::int64_t> alert_id;  // alerts(): only this one
};

struct StoredAggregate {
  std::int64_t channel_id = 0;
  std::string gateway;
  std::string sensor;
  std::string unit;
  std::int64_t window_start_ms = 0;
  std::int64_t window_ms = 0;
  std::uint64_t count = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
  double stddev = 0;  // population standard deviation
};

// An alert's acknowledgement: who (the token's name, or "token ID") and when.
struct AlertAck {
  std::string by;
  std::int64_t at_ms = 0;
};

struct StoredAlert {
  std::int64_t id = 0;
  std::string account;
  std::string channel;
  Alert alert;
  std::optional<AlertAck> ack;
};

struct ReadingCounts {
  std::uint64_t count = 0;
  std::uint64_t distinct = 0;  // distinct (gateway, sensor, time) triples
};

struct SeriesStats {
  std::string gateway;
  std::string sensor;
  std::string unit;
  std::uint64_t count = 0;
  std::int64_t first_ms = 0;
  std::int64_t last_ms = 0;
  Reading latest;  // the reading at last_ms (the last stored of those)
};

// One bucket of a downsampled series: the readings in [start_ms, end_ms).
struct ReadingBucket {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::uint64_t count = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
};

struct StoredReading {
  std::string gateway;
  Reading reading;
  bool historical = false;
  std::int64_t stored_ms = 0;  // when the ingester wrote it (wall clock, in its transaction)
};

// The read side of the store: what the HTTP API and dotsctl ask. Never writes, so it never
// waits for (or holds) the writer's transaction. Not thread-safe: one caller at a time
// (see SerialQueries for one connection shared by many threads).
class ReadingQueries {
 public:
  virtual ~ReadingQueries() = default;
  virtual Result<ReadingCounts> count(const ReadingFilter& filter) = 0;
  virtual Result<std::vector<SeriesStats>> stats(const ReadingFilter& filter) = 0;
  // Newest first.
  virtual Result<std::vector<StoredReading>> recent(const ReadingFilter& filter,
                                                    std::size_t limit) = 0;
  // The first `limit` matching readings in the order they were stored; reads no further.
  virtual Result<std::vector<StoredReading>> readings(const ReadingFilter& filter,
                                                      std::size_t limit) = 0;
  // The numeric readings matching `filter` in [from_ms, to_ms) folded into `buckets` equal
  // spans (the last may be shorter); empty buckets are left out. Memory: the buckets.
  virtual Result<std::vector<ReadingBucket>> buckets(const ReadingFilter& filter,
                                                     std::int64_t from_ms, std::int64_t to_ms,
                                                     std::size_t buckets) = 0;
  // Every matching reading in (gateway, sensor, time) order.
  virtual Result<void> forEach(const ReadingFilter& filter,
                               const std::function<void(const StoredReading&)>& visit) = 0;
  // Every committed reading counts, folded by the writer or not yet.
  virtual Result<std::vector<StoredAggregate>> aggregates(const ReadingFilter& filter,
                                                          std::size_t limit) = 0;
  virtual Result<std::vector<StoredAlert>> alerts(const ReadingFilter& filter,
                                                  std::size_t limit) = 0;
};

}  // namespace dots::cloud
