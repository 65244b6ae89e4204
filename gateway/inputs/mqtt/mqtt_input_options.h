#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace dots::gateway {

// One MQTT input: a broker the sensors publish to, and the topic filters to take.
struct MqttInputOptions {
  std::string name = "local";
  std::string broker = "tcp://127.0.0.1:1883";
  // Must stay the same across restarts: the broker keeps the session under it.
  std::string client_id;
  std::vector<std::string> topics{"sensors/#"};
  // Broker credentials and TLS files, as mqtt::ClientOptions takes them; empty: none.
  std::string username;
  std::string password;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
};

}  // namespace dots::gateway
