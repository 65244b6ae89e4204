#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dots::senml {

// The sensor name a topic gives: the topic less the literal prefix of the first filter it
// matches ("sensors/#" and "sensors/room1/t" give "room1/t"); the whole topic otherwise.
inline std::string nameFromTopic(std::string_view topic, const std::vector<std::string>& filters) {
  for (const auto& filter : filters) {
    std::size_t wild = filter.find_first_of("#+");
    std::string_view prefix = std::string_view(filter).substr(0, wild);
    if (wild != std::string::npos && topic.starts_with(prefix) && topic.size() > prefix.size()) {
      return std::string(topic.substr(prefix.size()));
    }
  }
  return std::string(topic);
}

}  // namespace dots::senml
