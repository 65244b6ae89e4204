#pragma once

#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "shared/error/error.h"

namespace dots::cloud::sqlite_store {

// One aggregate delta: a window of one series in one channel. The aggregate_log table holds
// arrays of these (one row per committing transaction), folded into `aggregates` by the writer.
struct LoggedDelta {
  std::int64_t channel_id;
  std::int64_t series_id;
  std::int64_t window_ms;
  std::int64_t window_start_ms;
  std::uint64_t count;
  double sum;
  double sum_squares;
  double min;
  double max;
};
static_assert(sizeof(LoggedDelta) == 72 && std::is_trivially_copyable_v<LoggedDelta>);

// Sorts deltas by window and sums those of the same window: one per window remains.
void coalesce(std::vector<LoggedDelta>& deltas);

// Appends the records of one aggregate_log row; "store-corrupt" when its size is not a whole
// number of records.
Result<void> appendLogRow(std::span<const std::uint8_t> blob, std::vector<LoggedDelta>& out);

// A log row's bytes.
std::span<const std::uint8_t> logRowBytes(const std::vector<LoggedDelta>& deltas);

}  // namespace dots::cloud::sqlite_store
