#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/inputs/mqtt/mqtt_input_options.h"
#include "gateway/reduce/reducer.h"
#include "gateway/spool/spool.h"
#include "shared/seal/envelope.h"

namespace dots::gateway {

// What the example config (deploy/gateway.toml) has in place of a key; refused like any
// value that is not a real key, with a message that says what to put there.
inline constexpr std::string_view kKeyPlaceholder = "PUT-THE-KEY-FROM-dotsctl-endpoint-add-HERE";

// Everything dots-gateway reads from its TOML file (see deploy/gateway.toml for every key).
struct GatewayConfig {
  std::string id;
  std::string log_level = "info";

  // Uplink to the cloud broker.
  std::string broker = "tcp://127.0.0.1:1883";
  std::string client_id;  // default "dots-gw-<id>"
  std::string username;
  std::string password;  // from uplink.password or the file uplink.password_file names
  std::string ca_file;   // required for ssl://
  std::string cert_file;
  std::string key_file;
  std::uint32_t key_id = 1;
  seal::Key key{};
  bool compress = true;
  std::chrono::milliseconds ack_timeout{5000};
  std::size_t max_inflight = 64;
  std::chrono::seconds status_interval{10};
  std::uint64_t backfill_readings_per_s = 20000;
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{30000};

  // Sensor inputs: the [[input]] tables of type "mqtt", or the [local] table when there are
  // none; never empty after loading. The reconnect backoff is the uplink's.
  std::vector<MqttInputOptions> mqtt_inputs;

  // Batching.
  std::chrono::milliseconds linger{50};
  std::size_t max_readings = 1000;

  SpoolOptions spool;

  // Edge reduction rules, first match wins ([[reduce]] tables).
  std::vector<ReduceRule> reduce;
};

// Loads and validates a gateway config; throws config::ConfigError naming file, line and key.
GatewayConfig loadGatewayConfig(const std::string& path);
// Checks the brokers' TLS keys again after --broker or --local-broker replaced a broker (an
// ssl:// broker needs its ca_file); throws config::ConfigError naming the key.
void recheckBrokers(const GatewayConfig& config);
// The same from the text of a config; `label` stands for the file name in errors.
GatewayConfig parseGatewayConfig(std::string_view text, const std::string& label);

}  // namespace dots::gateway
