#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

namespace dots::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Lines go to stderr as "<UTC time> <level> <component>: <message>"; thread-safe.
void setLevel(Level level);
bool parseLevel(std::string_view text, Level& out);
bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view message);

template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

template <typename... Parts>
void debug(std::string_view component, const Parts&... parts) {
  if (enabled(Level::kDebug)) write(Level::kDebug, component, concat(parts...));
}
template <typename... Parts>
void info(std::string_view component, const Parts&... parts) {
  if (enabled(Level::kInfo)) write(Level::kInfo, component, concat(parts...));
}
template <typename... Parts>
void warn(std::string_view component, const Parts&... parts) {
  if (enabled(Level::kWarn)) write(Level::kWarn, component, concat(parts...));
}
template <typename... Parts>
void error(std::string_view component, const Parts&... parts) {
  if (enabled(Level::kError)) write(Level::kError, component, concat(parts...));
}

// Lets at most `burst` lines per key through in each `period`, and reports how many were
// suppressed when the next line for that key passes. Used for per-message errors, so that a
// flood of bad input cannot flood the log. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(int burst = 5, std::chrono::seconds period = std::chrono::seconds(10))
      : burst_(burst), period_(period) {}

  // Returns true if a line for `key` may be written now; `suppressed` receives how many lines
  // for that key were held back since the last one that passed.
  bool allow(const std::string& key, long& suppressed);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    int used = 0;
    long suppressed = 0;
  };
  int burst_;
  std::chrono::seconds period_;
  std::mutex mutex_;
  std::map<std::string, Window> windows_;
};

}  // namespace dots::log
