#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dots::topics {

// The uplink topic tree (DESIGN §2.3): dots/v1/<gw>/{up,ack,status,cmd}.
inline std::string up(std::string_view gw) {
  return "dots/v1/" + std::string(gw) + "/up";
}
inline std::string ack(std::string_view gw) {
  return "dots/v1/" + std::string(gw) + "/ack";
}
inline std::string status(std::string_view gw) {
  return "dots/v1/" + std::string(gw) + "/status";
}
inline constexpr std::string_view kAllUp = "dots/v1/+/up";

// The gateway id of a dots/v1/<gw>/up topic, or nullopt if the topic has another shape.
std::optional<std::string_view> gatewayOfUpTopic(std::string_view topic);

// Gateway ids are used in topics and file names: 1-64 chars of [A-Za-z0-9_.-].
bool isValidGatewayId(std::string_view id);

}  // namespace dots::topics
