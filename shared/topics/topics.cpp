#include "shared/topics/topics.h"

namespace dots::topics {

std::optional<std::string_view> gatewayOfUpTopic(std::string_view topic) {
  constexpr std::string_view kPrefix = "dots/v1/";
  constexpr std::string_view kSuffix = "/up";
  if (topic.size() <= kPrefix.size() + kSuffix.size()) return std::nullopt;
  if (!topic.starts_with(kPrefix) || !topic.ends_with(kSuffix)) return std::nullopt;
  std::string_view gw =
      topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
  if (!isValidName(gw)) return std::nullopt;
  return gw;
}

bool isValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace dots::topics
