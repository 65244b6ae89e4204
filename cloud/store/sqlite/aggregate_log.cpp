#include "cloud/store/sqlite/aggregate_log.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <tuple>

namespace dots::cloud::sqlite_store {

static_assert(std::endian::native == std::endian::little, "aggregate_log rows are little-endian");

void coalesce(std::vector<LoggedDelta>& deltas) {
  auto key = [](const LoggedDelta& d) {
    return std::tie(d.channel_id, d.series_id, d.window_ms, d.window_start_ms);
  };
  std::ranges::sort(deltas, {}, key);
  std::size_t out = 0;
  for (std::size_t i = 0; i < deltas.size(); ++i) {
    if (out > 0 && key(deltas[out - 1]) == key(deltas[i])) {
      LoggedDelta& p = deltas[out - 1];
      const LoggedDelta& d = deltas[i];
      p.count += d.count;
      p.sum += d.sum;
      p.sum_squares += d.sum_squares;
      p.min = std::min(p.min, d.min);
      p.max = std::max(p.max, d.max);
    } else {
      deltas[out++] = deltas[i];
    }
  }
  deltas.resize(out);
}

Result<void> appendLogRow(std::span<const std::uint8_t> blob, std::vector<LoggedDelta>& out) {
  if (blob.size() % sizeof(LoggedDelta) != 0) {
    return std::unexpected(Error{
        "store-corrupt", "an aggregate_log row of " + std::to_string(blob.size()) + " bytes"});
  }
  std::size_t at = out.size();
  out.resize(at + blob.size() / sizeof(LoggedDelta));
  if (!blob.empty()) std::memcpy(out.data() + at, blob.data(), blob.size());
  return {};
}

std::span<const std::uint8_t> logRowBytes(const std::vector<LoggedDelta>& deltas) {
  return {reinterpret_cast<const std::uint8_t*>(deltas.data()),
          deltas.size() * sizeof(LoggedDelta)};
}

}  // namespace dots::cloud::sqlite_store
