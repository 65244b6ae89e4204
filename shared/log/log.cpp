#include "shared/log/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>

namespace dots::log {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_write_mutex;

const char* name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}
}  // namespace

void setLevel(Level level) {
  g_level = static_cast<int>(level);
}

bool parseLevel(std::string_view text, Level& out) {
  if (text == "debug")
    out = Level::kDebug;
  else if (text == "info")
    out = Level::kInfo;
  else if (text == "warn")
    out = Level::kWarn;
  else if (text == "error")
    out = Level::kError;
  else
    return false;
  return true;
}

bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load();
}

void write(Level level, std::string_view component, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::lock_guard lock(g_write_mutex);
  std::fprintf(stderr, "%s %-5s %.*s: %.*s\n", stamp, name(level),
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

bool RateLimiter::allow(const std::string& key, long& suppressed) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  Window& w = windows_[key];
  if (now - w.start >= period_) {
    w.start = now;
    w.used = 0;
  }
  if (w.used < burst_) {
    ++w.used;
    suppressed = w.suppressed;
    w.suppressed = 0;
    return true;
  }
  ++w.suppressed;
  return false;
}

}  // namespace dots::log
