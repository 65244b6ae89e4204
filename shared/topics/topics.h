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
inline constexpr std::string_view kAllStatus = "dots/v1/+/status";

// Alerts about an account's service rather than one channel (e.g. the ingester's disk below its
// watermark): dots/v1/alerts/<account>, the parent of its channels' alert topics (which a
// subscription to dots/v1/alerts/<account>/# also receives), so no channel name can clash.
inline std::string accountAlerts(std::string_view account) {
  return "dots/v1/alerts/" + std::string(account);
}

// A channel's alerts: dots/v1/alerts/<account>/<channel>.
inline std::string channelAlerts(std::string_view account, std::string_view channel) {
  return accountAlerts(account) + "/" + std::string(channel);
}

// The gateway id of a dots/v1/<gw>/up topic, or nullopt if the topic has another shape.
std::optional<std::string_view> gatewayOfUpTopic(std::string_view topic);
// The gateway id of "dots/v1/<gw>/status", if it is one.
std::optional<std::string_view> gatewayOfStatusTopic(std::string_view topic);

// A name that stands unquoted as one topic level and in a file name: 1-64 chars of
// [A-Za-z0-9_.-] (no '/', '+', '#', space or NUL). Gateway ids and the names of accounts,
// environments, channels and streams are such names.
bool isValidName(std::string_view name);

}  // namespace dots::topics
