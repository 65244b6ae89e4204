#include "cloud/ingest/disk_guard.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "shared/app/thread_name.h"

namespace dots::cloud {

Result<DiskSpace> diskSpaceOf(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) {
    return fail("disk-space", path + ": " + std::strerror(errno));
  }
  return DiskSpace{static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize,
                   static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize};
}

std::uint64_t DiskWatermark::threshold(std::uint64_t total_bytes) const {
  auto by_percent = static_cast<std::uint64_t>(
      std::ceil(static_cast<double>(total_bytes) * std::max(0.0, options_.min_free_percent) / 100));
  return std::max(options_.min_free_bytes, by_percent);
}

std::uint64_t DiskWatermark::resumeLevel(std::uint64_t total_bytes) const {
  std::uint64_t t = threshold(total_bytes);
  return t == 0 ? 0 : t + std::max<std::uint64_t>(t / 10, 1ULL << 20);
}

DiskWatermark::Change DiskWatermark::update(const DiskSpace& space) {
  std::uint64_t t = threshold(space.total_bytes);
  if (!low_ && t > 0 && space.free_bytes < t) {
    low_ = true;
    return Change::kLow;
  }
  if (low_ && (t == 0 || space.free_bytes >= resumeLevel(space.total_bytes))) {
    low_ = false;
    return Change::kRecovered;
  }
  return Change::kNone;
}

DiskGuard::DiskGuard(WatermarkOptions options, Probe probe, Notify notify,
                     std::chrono::milliseconds interval)
    : watermark_(options),
      probe_(std::move(probe)),
      notify_(std::move(notify)),
      interval_(interval) {}

void DiskGuard::start() {
  check();
  thread_ = std::thread([this] {
    nameThisThread("ingest-disk");
    run();
  });
}

void DiskGuard::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DiskGuard::run() {
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    check();
    lock.lock();
  }
}

DiskView DiskGuard::view() const {
  std::lock_guard lock(mutex_);
  return view_;
}

void DiskGuard::check() {
  auto space = probe_();
  if (!space) {
    long suppressed = 0;
    if (log_limiter_.allow("probe", suppressed)) {
      log::warn("ingest", "cannot read the free disk space: ", space.error().describe(),
                " (the watermark keeps its state)");
    }
    return;
  }
  DiskWatermark::Change change = watermark_.update(*space);
  DiskView now;
  DiskWatermark::Change tell = DiskWatermark::Change::kNone;
  {
    std::lock_guard lock(mutex_);
    view_.known = true;
    view_.low = watermark_.low();
    view_.free_bytes = space->free_bytes;
    view_.total_bytes = space->total_bytes;
    view_.min_free_bytes = watermark_.threshold(space->total_bytes);
    if (change == DiskWatermark::Change::kLow) ++view_.low_periods;
    if (change != DiskWatermark::Change::kNone) pending_ = change;  // the latest one counts
    now = view_;
    tell = pending_;
  }
  low_.store(now.low, std::memory_order_release);
  if (change == DiskWatermark::Change::kLow) {
    log::warn("ingest", "free disk space of the data folder is down to ", now.free_bytes,
              " bytes, below the watermark of ", now.min_free_bytes,
              ": no batch is committed or acknowledged (the gateways keep them) until ",
              watermark_.resumeLevel(now.total_bytes), " bytes are free");
  } else if (change == DiskWatermark::Change::kRecovered) {
    log::info("ingest", "free disk space of the data folder is back at ", now.free_bytes,
              " bytes: committing and acknowledging again");
  }
  if (tell == DiskWatermark::Change::kNone || !notify_) return;
  if (notify_(tell, now)) {
    std::lock_guard lock(mutex_);
    if (pending_ == tell) pending_ = DiskWatermark::Change::kNone;
  }
}

}  // namespace dots::cloud
