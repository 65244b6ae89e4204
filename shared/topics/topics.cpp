#include "shared/topics/topics.h"

namespace dots::topics {

namespace {

std::optional<std::string_view> gatewayOf(std::string_view topic, std::string_view suffix) {
  constexpr std::string_view kPrefix = "dots/v1/";
  if (topic.size() <= kPrefix.size() + suffix.size()) return std::nullopt;
  if (!topic.starts_with(kPrefix) || !topic.ends_with(suffix)) return std::nullopt;
  std::string_view gw = topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - suffix.size());
  if (!isValidName(gw)) return std::nullopt;
  return gw;
}

}  // namespace

std::optional<std::string_view> gatewayOfUpTopic(std::string_view topic) {
  return gatewayOf(topic, "/up");
}

std::optional<std::string_view> gatewayOfStatusTopic(std::string_view topic) {
  return gatewayOf(topic, "/status");
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
