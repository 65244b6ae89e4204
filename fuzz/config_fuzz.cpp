// The gateway's config file: any text is either a valid config or a ConfigError whose message
// names the file; nothing else may escape, crash or hang.
#include <cstdlib>
#include <string>

#include "gateway/config/gateway_config.h"
#include "shared/config/toml_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto config = dots::gateway::parseGatewayConfig(text, "fuzz.toml");
    if (config.id.empty() || config.mqtt_inputs.empty()) std::abort();
  } catch (const dots::config::ConfigError& e) {
    if (std::string_view(e.what()).substr(0, 9) != "fuzz.toml") std::abort();
  }
  return 0;
}
