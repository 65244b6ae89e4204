// dots-gateway: wiring only. See gateway.h for what it does.
#include <CLI/CLI.hpp>
#include <iostream>

#include "dots/version.h"
#include "gateway/config/gateway_config.h"
#include "gateway/gateway.h"
#include "shared/app/signals.h"
#include "shared/config/toml_file.h"
#include "shared/log/log.h"

int main(int argc, char** argv) {
  dots::app::blockStopSignals();
  CLI::App app{
      "dots-gateway: collects sensor readings, seals and spools them, forwards them to "
      "the Dots cloud"};
  std::string config_path;
  std::string broker;
  std::string local_broker;
  std::string spool;
  std::string log_level;
  bool check_config = false;
  app.set_version_flag("--version", std::string("dots-gateway ") + dots::kVersion);
  app.add_option("-c,--config", config_path, "gateway TOML file (see deploy/gateway.toml)")
      ->required();
  app.add_option("--broker", broker, "uplink broker URI, overrides uplink.broker");
  app.add_option("--local-broker", local_broker,
                 "sensor broker URI, overrides local.broker (the first [[input]]'s broker)");
  app.add_option("--spool", spool, "spool file, overrides spool.path");
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_flag("--check-config", check_config, "validate the config file and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  dots::gateway::GatewayConfig config;
  try {
    config = dots::gateway::loadGatewayConfig(config_path);
    if (!broker.empty()) config.broker = broker;
    if (!local_broker.empty()) config.mqtt_inputs.front().broker = local_broker;
    if (!broker.empty() || !local_broker.empty()) dots::gateway::recheckBrokers(config);
  } catch (const dots::config::ConfigError& e) {
    std::cerr << "dots-gateway: bad config: " << e.what() << "\n";
    return 2;
  }
  if (!spool.empty()) config.spool.path = spool;
  if (!log_level.empty()) config.log_level = log_level;
  if (check_config) {
    std::cout << config_path << ": ok (gateway " << config.id << ")\n";
    return 0;
  }
  dots::log::Level level{};
  dots::log::parseLevel(config.log_level, level);
  dots::log::setLevel(level);

  try {
    dots::gateway::Gateway gateway(std::move(config));
    gateway.start();
    int sig = dots::app::waitForStopSignal();
    dots::log::info("gateway", "signal ", sig, ": shutting down");
    gateway.stop();
  } catch (const std::exception& e) {
    dots::log::error("gateway", e.what());
    return 1;
  }
  return 0;
}
