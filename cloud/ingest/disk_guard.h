#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "shared/error/error.h"
#include "shared/log/log.h"

namespace dots::cloud {

struct DiskSpace {
  std::uint64_t free_bytes = 0;  // available to the ingester (statvfs f_bavail), not to root
  std::uint64_t total_bytes = 0;
};

// The file system that holds `path`, by statvfs. Errors: "disk-space" (errno's text).
Result<DiskSpace> diskSpaceOf(const std::string& path);

// The free-disk watermark of the data folder: below it the ingester commits nothing (and so
// acknowledges nothing), well before SQLite fills the disk. The threshold is the larger of the
// two; 0 turns that one off, both 0 turn the watermark off.
struct WatermarkOptions {
  std::uint64_t min_free_bytes = 256ULL << 20;
  double min_free_percent = 1.0;
};

// The watermark's state machine, with no clock and no disk: fed what the disk has, it says
// when it went low and when it recovered. Recovery needs the free space back above the
// threshold plus a tenth of it (at least 1 MiB), so a disk hovering at the line does not flap.
class DiskWatermark {
 public:
  enum class Change { kNone, kLow, kRecovered };

  explicit DiskWatermark(WatermarkOptions options) : options_(options) {}

  // The threshold for a disk of `total_bytes`; 0 when the watermark is off.
  std::uint64_t threshold(std::uint64_t total_bytes) const;
  // The free space that ends a low period.
  std::uint64_t resumeLevel(std::uint64_t total_bytes) const;
  Change update(const DiskSpace& space);
  bool low() const { return low_; }

 private:
  WatermarkOptions options_;
  bool low_ = false;
};

// What /healthz and /metrics show of the watermark.
struct DiskView {
  bool known = false;  // a probe has succeeded
  bool low = false;
  std::uint64_t free_bytes = 0;
  std::uint64_t total_bytes = 0;
  std::uint64_t min_free_bytes = 0;  // the threshold in force (0: off)
  std::uint64_t low_periods = 0;     // how often it went low
};

// Watches the data folder's disk from a thread of its own, every `interval`: keeps low() for the
// commit worker (which refuses groups while it holds), logs each change, and has `notify` tell
// the accounts (e.g. publish an alert). `notify` runs on the guard's thread (it may wait on the
// broker); it returns false when it could not tell everyone, and is called again with the
// current view at every check until it returns true. low() and view() are thread-safe.
class DiskGuard {
 public:
  using Probe = std::function<Result<DiskSpace>()>;
  using Notify = std::function<bool(DiskWatermark::Change, const DiskView&)>;

  DiskGuard(WatermarkOptions options, Probe probe, Notify notify,
            std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  ~DiskGuard() { stop(); }

  // Checks once (so low() holds before the first group), then watches.
  void start();
  void stop();
  // One check on the caller's thread (what the guard's thread does each interval).
  void check();
  bool low() const { return low_.load(std::memory_order_acquire); }
  DiskView view() const;

 private:
  void run();

  DiskWatermark watermark_;
  Probe probe_;
  Notify notify_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> low_{false};
  mutable std::mutex mutex_;  // guards view_, the pending notice and stopping_
  DiskView view_;
  DiskWatermark::Change pending_ = DiskWatermark::Change::kNone;  // not told yet
  bool stopping_ = false;
  std::condition_variable cv_;
  log::RateLimiter log_limiter_;
  std::thread thread_;
};

}  // namespace dots::cloud
