#include "gateway/config/gateway_config.h"

#include <algorithm>

#include "shared/config/secret_file.h"
#include "shared/config/toml_file.h"
#include "shared/mqtt/client.h"
#include "shared/seal/key_check.h"
#include "shared/text/hex.h"
#include "shared/topics/topics.h"

namespace dots::gateway {

namespace {

// The credential and TLS keys beside a broker key, under `at` ("uplink.", "local.",
// "input[N]."): username, password or password_file, ca_file, cert_file, key_file; the TLS
// files checked against `broker` (ssl:// needs ca_file).
mqtt::ClientOptions readBrokerAuth(config::TomlFile& file, const std::string& at,
                                   const std::string& broker) {
  mqtt::ClientOptions o;
  o.uri = broker;
  o.username = file.string(at + "username", "");
  o.password = file.string(at + "password", "");
  std::string password_file = file.string(at + "password_file", "");
  if (!password_file.empty()) {
    if (!o.password.empty())
      file.failAt(at + "password_file", "give password or password_file, not both");
    auto secret = config::readSecretFile(password_file);
    if (!secret) file.failAt(at + "password_file", secret.error().detail);
    o.password = std::move(*secret);
  }
  o.ca_file = file.string(at + "ca_file", "");
  o.cert_file = file.string(at + "cert_file", "");
  o.key_file = file.string(at + "key_file", "");
  if (auto problem = mqtt::checkTlsOptions(o)) file.failAt(at + problem->field, problem->message);
  return o;
}

// The keys an MQTT input shares with the [local] table, under `at` ("local." or "input[N].").
MqttInputOptions readMqttInput(config::TomlFile& file, const std::string& at, std::string name,
                               const GatewayConfig& c) {
  MqttInputOptions in;
  in.name = std::move(name);
  in.broker = file.string(at + "broker", in.broker);
  if (!in.broker.starts_with("tcp://") && !in.broker.starts_with("ssl://")) {
    file.failAt(at + "broker", "must be tcp://host:port or ssl://host:port");
  }
  in.client_id = file.string(at + "client_id", "dots-gw-" + c.id + "-" + in.name);
  in.topics = file.strings(at + "topics", in.topics);
  mqtt::ClientOptions auth = readBrokerAuth(file, at, in.broker);
  in.username = std::move(auth.username);
  in.password = std::move(auth.password);
  in.ca_file = std::move(auth.ca_file);
  in.cert_file = std::move(auth.cert_file);
  in.key_file = std::move(auth.key_file);
  if (in.topics.empty()) file.failAt(at + "topics", "must name at least one topic filter");
  in.min_backoff = c.min_backoff;
  in.max_backoff = c.max_backoff;
  return in;
}

// [[input]] tables, or the [local] table as the one MQTT input when there are none.
void readInputs(config::TomlFile& file, GatewayConfig& c) {
  std::size_t n = file.tableArraySize("input");
  if (n == 0) {
    c.mqtt_inputs.push_back(readMqttInput(file, "local.", "local", c));
    return;
  }
  if (file.has("local")) {
    file.failAt("local",
                "give the sensor broker either as [local] or as [[input]] tables, not both");
  }
  for (std::size_t i = 0; i < n; ++i) {
    std::string at = "input[" + std::to_string(i) + "].";
    std::string type = file.string(at + "type");
    if (type != "mqtt") {
      file.failAt(at + "type", "unknown input type \"" + type + "\" (known: mqtt)");
    }
    std::string name =
        file.string(at + "name", i == 0 ? std::string("local") : "local-" + std::to_string(i + 1));
    if (!topics::isValidName(name)) {
      file.failAt(at + "name", "must be 1-64 characters of A-Z a-z 0-9 - _ .");
    }
    MqttInputOptions in = readMqttInput(file, at, std::move(name), c);
    for (const MqttInputOptions& other : c.mqtt_inputs) {
      if (other.name == in.name) file.failAt(at + "name", "another [[input]] has this name");
      if (other.broker == in.broker && other.client_id == in.client_id) {
        file.failAt(at + "client_id",
                    "another [[input]] uses this client id on the same broker (each needs its "
                    "own session)");
      }
    }
    c.mqtt_inputs.push_back(std::move(in));
  }
}

GatewayConfig fromFile(config::TomlFile& file) {
  GatewayConfig c;

  c.id = file.string("gateway.id");
  if (!topics::isValidName(c.id)) {
    file.failAt("gateway.id", "must be 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  c.log_level = file.choice("gateway.log_level", "info", {"debug", "info", "warn", "error"});

  c.broker = file.string("uplink.broker", c.broker);
  if (!c.broker.starts_with("tcp://") && !c.broker.starts_with("ssl://")) {
    file.failAt("uplink.broker", "must be tcp://host:port or ssl://host:port");
  }
  c.client_id = file.string("uplink.client_id", "dots-gw-" + c.id);
  mqtt::ClientOptions auth = readBrokerAuth(file, "uplink.", c.broker);
  c.username = std::move(auth.username);
  c.password = std::move(auth.password);
  c.ca_file = std::move(auth.ca_file);
  c.cert_file = std::move(auth.cert_file);
  c.key_file = std::move(auth.key_file);
  c.key_id = static_cast<std::uint32_t>(file.integer("uplink.key_id", std::nullopt, 1, 0xffffffff));
  std::string key_text = file.string("uplink.key");
  if (key_text.empty() || key_text == kKeyPlaceholder) {
    file.failAt("uplink.key",
                "is not set: put in the key (64 hex digits) that `dotsctl endpoint add` printed "
                "for this gateway");
  }
  auto key = fromHex(key_text);
  if (!key || key->size() != seal::kKeyBytes) {
    file.failAt("uplink.key", "must be 64 hex digits (a 256-bit key from `dotsctl endpoint add`)");
  }
  if (seal::isWeakKey(*key)) {
    file.failAt("uplink.key",
                "is no real key (no entropy: e.g. all bytes equal); put in the key that "
                "`dotsctl endpoint add` printed for this gateway");
  }
  std::copy(key->begin(), key->end(), c.key.begin());
  c.compress = file.choice("uplink.compression", "zstd", {"zstd", "none"}) == "zstd";
  c.ack_timeout =
      std::chrono::milliseconds(file.integer("uplink.ack_timeout_ms", 5000, 100, 600000));
  c.max_inflight = static_cast<std::size_t>(file.integer("uplink.max_inflight", 64, 1, 65535));
  c.status_interval = std::chrono::seconds(file.integer("uplink.status_interval_s", 10, 1, 86400));
  c.backfill_readings_per_s = static_cast<std::uint64_t>(
      file.integer("uplink.backfill_readings_per_s", 20000, 1, 1'000'000'000));
  c.min_backoff =
      std::chrono::milliseconds(file.integer("uplink.reconnect_min_ms", 200, 10, 600000));
  c.max_backoff =
      std::chrono::milliseconds(file.integer("uplink.reconnect_max_ms", 30000, 10, 3600000));
  if (c.max_backoff < c.min_backoff) {
    file.failAt("uplink.reconnect_max_ms", "must not be below uplink.reconnect_min_ms");
  }

  readInputs(file, c);

  c.linger = std::chrono::milliseconds(file.integer("batch.linger_ms", 50, 1, 60000));
  c.max_readings = static_cast<std::size_t>(file.integer("batch.max_readings", 1000, 1, 100000));

  c.spool.path = file.string("spool.path", "/var/lib/dots/spool.db");
  c.spool.max_bytes =
      static_cast<std::uint64_t>(file.integer("spool.max_bytes", 1ll << 30, 4096, 1ll << 50));
  c.spool.min_free_bytes =
      static_cast<std::uint64_t>(file.integer("spool.min_free_bytes", 8ll << 20, 0, 1ll << 50));
  c.spool.max_age = std::chrono::seconds(file.integer("spool.max_age_s", 0, 0, 10ll * 365 * 86400));
  c.spool.policy =
      file.choice("spool.policy", "drop-oldest", {"drop-oldest", "reject-new"}) == "drop-oldest"
          ? SpoolPolicy::kDropOldest
          : SpoolPolicy::kRejectNew;
  std::string sync = file.choice("spool.sync", "normal", {"off", "normal", "full"});
  c.spool.sync = sync == "off"    ? SpoolSync::kOff
                 : sync == "full" ? SpoolSync::kFull
                                  : SpoolSync::kNormal;

  std::size_t rules = file.tableArraySize("reduce");
  for (std::size_t i = 0; i < rules; ++i) {
    std::string at = "reduce[" + std::to_string(i) + "].";
    ReduceRule rule;
    rule.pattern = file.string(at + "sensors");
    if (rule.pattern.empty()) file.failAt(at + "sensors", "must not be empty");
    std::string mode = file.choice(at + "mode", "raw", {"raw", "deadband", "summary"});
    rule.mode = mode == "deadband"  ? ReduceMode::kDeadband
                : mode == "summary" ? ReduceMode::kSummary
                                    : ReduceMode::kRaw;
    if (rule.mode == ReduceMode::kDeadband) {
      rule.threshold = file.number(at + "threshold", std::nullopt, 0, 1e300);
      rule.heartbeat = std::chrono::seconds(file.integer(at + "heartbeat_s", 300, 0, 86400 * 365));
    }
    if (rule.mode == ReduceMode::kSummary) {
      rule.window = std::chrono::seconds(file.integer(at + "window_s", 60, 1, 86400));
    }
    c.reduce.push_back(std::move(rule));
  }

  file.rejectUnknownKeys();
  return c;
}

}  // namespace

void recheckBrokers(const GatewayConfig& c) {
  auto check = [](const std::string& at, const std::string& broker, const std::string& ca_file,
                  const std::string& cert_file, const std::string& key_file) {
    mqtt::ClientOptions o;
    o.uri = broker;
    o.ca_file = ca_file;
    o.cert_file = cert_file;
    o.key_file = key_file;
    if (auto problem = mqtt::checkTlsOptions(o)) {
      throw config::ConfigError("broker " + o.uri + ": key '" + at + problem->field +
                                "': " + problem->message);
    }
  };
  check("uplink.", c.broker, c.ca_file, c.cert_file, c.key_file);
  for (const MqttInputOptions& in : c.mqtt_inputs) {
    check("[input " + in.name + "] ", in.broker, in.ca_file, in.cert_file, in.key_file);
  }
}

GatewayConfig loadGatewayConfig(const std::string& path) {
  config::TomlFile file = config::TomlFile::load(path);
  return fromFile(file);
}

GatewayConfig parseGatewayConfig(std::string_view text, const std::string& label) {
  config::TomlFile file = config::TomlFile::parse(text, label);
  return fromFile(file);
}

}  // namespace dots::gateway
