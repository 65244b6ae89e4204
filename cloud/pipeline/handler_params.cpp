#include "cloud/pipeline/handler_params.h"

#include <charconv>
#include <cmath>

namespace dots::cloud {

Result<HandlerParams> HandlerParams::parse(std::string_view spec) {
  HandlerParams p;
  std::size_t colon = spec.find(':');
  p.type_ = std::string(spec.substr(0, colon));
  if (p.type_.empty())
    return fail("bad-handler", "handler spec \"" + std::string(spec) + "\" has no type");
  if (colon == std::string_view::npos) return p;
  std::string_view rest = spec.substr(colon + 1);
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return fail("bad-handler",
                  p.type_ + ": expected key=value, got \"" + std::string(item) + "\"");
    }
    p.values_[std::string(item.substr(0, eq))] = std::string(item.substr(eq + 1));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return p;
}

Error HandlerParams::error(const std::string& key, const std::string& message) const {
  return Error{"bad-handler", type_ + ": " + key + " " + message};
}

Result<std::string> HandlerParams::text(const std::string& key,
                                        std::optional<std::string> fallback) {
  read_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) {
    if (!fallback) return std::unexpected(error(key, "is required"));
    return *fallback;
  }
  if (it->second.empty()) return std::unexpected(error(key, "must not be empty"));
  return it->second;
}

Result<double> HandlerParams::number(const std::string& key, std::optional<double> fallback) {
  read_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) {
    if (!fallback) return std::unexpected(error(key, "is required"));
    return *fallback;
  }
  double v = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::unexpected(error(key, "must be a number (got \"" + s + "\")"));
  }
  return v;
}

Result<std::int64_t> HandlerParams::integer(const std::string& key,
                                            std::optional<std::int64_t> fallback, std::int64_t min,
                                            std::int64_t max) {
  read_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) {
    if (!fallback) return std::unexpected(error(key, "is required"));
    return *fallback;
  }
  std::int64_t v = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    return std::unexpected(error(key, "must be an integer from " + std::to_string(min) + " to " +
                                          std::to_string(max) + " (got \"" + s + "\")"));
  }
  return v;
}

Result<bool> HandlerParams::flag(const std::string& key, bool fallback) {
  read_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  return std::unexpected(error(key, "must be true or false (got \"" + it->second + "\")"));
}

Result<void> HandlerParams::rejectUnknown() const {
  for (const auto& [key, value] : values_) {
    if (!read_.contains(key)) return std::unexpected(error(key, "is not a parameter of " + type_));
  }
  return {};
}

}  // namespace dots::cloud
