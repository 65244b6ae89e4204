#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "shared/error/error.h"

namespace dots::cloud {

// The parameters of one handler spec "type:key=value,key=value", with typed, validated
// getters. Errors have reason "bad-handler" and name the handler type and key.
class HandlerParams {
 public:
  // Parses a whole spec; `type` receives the part before ':'.
  static Result<HandlerParams> parse(std::string_view spec);

  const std::string& type() const { return type_; }
  Result<std::string> text(const std::string& key, std::optional<std::string> fallback);
  Result<double> number(const std::string& key, std::optional<double> fallback);
  Result<std::int64_t> integer(const std::string& key, std::optional<std::int64_t> fallback,
                               std::int64_t min, std::int64_t max);
  Result<bool> flag(const std::string& key, bool fallback);
  bool has(const std::string& key) const { return values_.contains(key); }
  // Fails for the first key no getter asked for.
  Result<void> rejectUnknown() const;

 private:
  Error error(const std::string& key, const std::string& message) const;
  std::string type_;
  std::map<std::string, std::string> values_;
  std::set<std::string> read_;
};

}  // namespace dots::cloud
