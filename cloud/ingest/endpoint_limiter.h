#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace dots::cloud {

// What one endpoint may send per second; 0 is no limit. A second's worth may come at once.
struct RateLimits {
  double batches_per_s = 0;
  double readings_per_s = 0;
  double bytes_per_s = 0;
};

// Token buckets per endpoint (batches, readings and bytes), so that one gateway cannot take the
// commit worker from the others. Not thread-safe: the commit worker owns it.
class EndpointLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit EndpointLimiter(RateLimits limits) : limits_(limits) {}

  // True (and the batch is taken from the buckets) when `gateway` may have a batch of
  // `readings` readings in `bytes` bytes now.
  bool allow(const std::string& gateway, std::size_t readings, std::size_t bytes, TimePoint now);

 private:
  struct Buckets {
    double batches = 0;
    double readings = 0;
    double bytes = 0;
    TimePoint at{};
  };
  RateLimits limits_;
  std::unordered_map<std::string, Buckets> buckets_;
};

}  // namespace dots::cloud
