#include "cloud/ingest/endpoint_limiter.h"

#include <algorithm>

namespace dots::cloud {

bool EndpointLimiter::allow(const std::string& gateway, std::size_t readings, std::size_t bytes,
                            TimePoint now) {
  if (limits_.batches_per_s <= 0 && limits_.readings_per_s <= 0 && limits_.bytes_per_s <= 0) {
    return true;
  }
  auto [it, fresh] = buckets_.try_emplace(gateway);
  Buckets& b = it->second;
  if (fresh) {
    b = {limits_.batches_per_s, limits_.readings_per_s, limits_.bytes_per_s, now};
  } else {
    double s = std::chrono::duration<double>(now - b.at).count();
    b.batches = std::min(limits_.batches_per_s, b.batches + s * limits_.batches_per_s);
    b.readings = std::min(limits_.readings_per_s, b.readings + s * limits_.readings_per_s);
    b.bytes = std::min(limits_.bytes_per_s, b.bytes + s * limits_.bytes_per_s);
    b.at = now;
  }
  auto room = [](double limit, double tokens, double need) {
    // A batch larger than a whole second's worth passes when the bucket is full.
    return limit <= 0 || tokens >= std::min(need, limit);
  };
  double r = static_cast<double>(readings);
  double n = static_cast<double>(bytes);
  if (!room(limits_.batches_per_s, b.batches, 1) || !room(limits_.readings_per_s, b.readings, r) ||
      !room(limits_.bytes_per_s, b.bytes, n)) {
    return false;
  }
  if (limits_.batches_per_s > 0) b.batches -= 1;
  if (limits_.readings_per_s > 0) b.readings -= r;
  if (limits_.bytes_per_s > 0) b.bytes -= n;
  return true;
}

}  // namespace dots::cloud
