#include "config/gateway_config.h"

#include <algorithm>

#include "config/toml_file.h"
#include "core/hex.h"
#include "core/topics.h"

namespace dots::gateway {

GatewayConfig loadGatewayConfig(const std::string& path) {
  config::TomlFile file = config::TomlFile::load(path);
  GatewayConfig c;

  c.id = file.string("gateway.id");
  if (!topics::isValidGatewayId(c.id)) {
    file.failAt("gateway.id", "must be 1-64 characters of A-Z a-z 0-9 - _ .");
  }
  c.log_level = file.choice("gateway.log_level", "info", {"debug", "info", "warn", "error"});

  c.broker = file.string("uplink.broker", c.broker);
  if (!c.broker.starts_with("tcp://") && !c.broker.starts_with("ssl://")) {
    file.failAt("uplink.broker", "must be tcp://host:port or ssl://host:port");
  }
  c.client_id = file.string("uplink.client_id", "dots-gw-" + c.id);
  c.username = file.string("uplink.username", "");
  c.password = file.string("uplink.password", "");
  c.ca_file = file.string("uplink.ca_file", "");
  c.key_id = static_cast<std::uint32_t>(file.integer("uplink.key_id", std::nullopt, 1, 0xffffffff));
  auto key = fromHex(file.string("uplink.key"));
  if (!key || key->size() != seal::kKeyBytes) {
    file.failAt("uplink.key", "must be 64 hex digits (a 256-bit key from `dotsctl endpoint add`)");
  }
  std::copy(key->begin(), key->end(), c.key.begin());
  c.compress = file.choice("uplink.compression", "zstd", {"zstd", "none"}) == "zstd";
  c.ack_timeout =
      std::chrono::milliseconds(file.integer("uplink.ack_timeout_ms", 5000, 100, 600000));
  c.max_inflight = static_cast<std::size_t>(file.integer("uplink.max_inflight", 64, 1, 65535));
  c.status_interval = std::chrono::seconds(file.integer("uplink.status_interval_s", 10, 1, 86400));
  c.min_backoff =
      std::chrono::milliseconds(file.integer("uplink.reconnect_min_ms", 200, 10, 600000));
  c.max_backoff =
      std::chrono::milliseconds(file.integer("uplink.reconnect_max_ms", 30000, 10, 3600000));
  if (c.max_backoff < c.min_backoff) {
    file.failAt("uplink.reconnect_max_ms", "must not be below uplink.reconnect_min_ms");
  }

  c.local_broker = file.string("local.broker", c.local_broker);
  if (!c.local_broker.starts_with("tcp://") && !c.local_broker.starts_with("ssl://")) {
    file.failAt("local.broker", "must be tcp://host:port or ssl://host:port");
  }
  c.local_client_id = file.string("local.client_id", "dots-gw-" + c.id + "-local");
  c.topics = file.strings("local.topics", c.topics);
  if (c.topics.empty()) file.failAt("local.topics", "must name at least one topic filter");

  c.linger = std::chrono::milliseconds(file.integer("batch.linger_ms", 50, 1, 60000));
  c.max_readings = static_cast<std::size_t>(file.integer("batch.max_readings", 1000, 1, 100000));

  c.spool.path = file.string("spool.path", "/var/lib/dots/spool.db");
  c.spool.max_bytes =
      static_cast<std::uint64_t>(file.integer("spool.max_bytes", 1ll << 30, 4096, 1ll << 50));
  c.spool.policy =
      file.choice("spool.policy", "drop-oldest", {"drop-oldest", "reject-new"}) == "drop-oldest"
          ? SpoolPolicy::kDropOldest
          : SpoolPolicy::kRejectNew;
  std::string sync = file.choice("spool.sync", "normal", {"off", "normal", "full"});
  c.spool.sync = sync == "off"    ? SpoolSync::kOff
                 : sync == "full" ? SpoolSync::kFull
                                  : SpoolSync::kNormal;

  file.rejectUnknownKeys();
  return c;
}

}  // namespace dots::gateway
