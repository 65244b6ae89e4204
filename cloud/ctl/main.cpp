// dotsctl: wiring only; each command lives in commands.cpp.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "ctl/commands.h"
#include "dots/version.h"

int main(int argc, char** argv) {
  CLI::App app{"dotsctl: administers the Dots registry and queries stored readings"};
  app.set_version_flag("--version", std::string("dotsctl ") + dots::kVersion);
  app.require_subcommand(1);
  std::string data_dir;
  app.add_option("--data", data_dir, "folder of the SQLite files (created if missing)")->required();

  bool json = false;
  std::string name;
  std::string account;
  std::string gateway;
  std::string sensor;
  std::string format = "csv";
  std::size_t limit = 20;
  dots::ctl::EndpointSnippet snippet;
  int rc = 0;
  auto ctx = [&] {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    return dots::ctl::Context{data_dir, std::cout, std::cerr};
  };
  auto query = [&] {
    dots::ctl::ReadingQuery q;
    if (!gateway.empty()) q.gateway = gateway;
    if (!sensor.empty()) q.sensor = sensor;
    return q;
  };

  auto* acc = app.add_subcommand("account", "accounts")->require_subcommand(1);
  auto* acc_add = acc->add_subcommand("add", "add an account");
  acc_add->add_option("name", name, "account name")->required();
  acc_add->callback([&] { rc = dots::ctl::accountAdd(ctx(), name); });
  auto* acc_list = acc->add_subcommand("list", "list accounts");
  acc_list->add_flag("--json", json, "JSON output");
  acc_list->callback([&] { rc = dots::ctl::accountList(ctx(), json); });

  auto* ep = app.add_subcommand("endpoint", "endpoints (one per gateway)")->require_subcommand(1);
  auto* ep_add = ep->add_subcommand(
      "add", "provision a gateway: creates its key and prints its dots-gateway config on stdout");
  ep_add->add_option("--account", account, "owning account")->required();
  ep_add->add_option("--gateway", gateway, "gateway id")->required();
  ep_add->add_option("--broker", snippet.broker, "uplink broker URI for the config")
      ->capture_default_str();
  ep_add->add_option("--local-broker", snippet.local_broker, "sensor broker URI for the config")
      ->capture_default_str();
  ep_add->add_option("--spool", snippet.spool, "spool path for the config");
  ep_add->callback([&] { rc = dots::ctl::endpointAdd(ctx(), account, gateway, snippet); });
  auto* ep_list = ep->add_subcommand("list", "list endpoints");
  ep_list->add_flag("--json", json, "JSON output");
  ep_list->callback([&] { rc = dots::ctl::endpointList(ctx(), json); });
  auto* ep_disable = ep->add_subcommand("disable", "refuse a gateway's batches");
  ep_disable->add_option("--gateway", gateway, "gateway id")->required();
  ep_disable->callback([&] { rc = dots::ctl::endpointEnable(ctx(), gateway, false); });
  auto* ep_enable = ep->add_subcommand("enable", "accept a gateway's batches again");
  ep_enable->add_option("--gateway", gateway, "gateway id")->required();
  ep_enable->callback([&] { rc = dots::ctl::endpointEnable(ctx(), gateway, true); });

  auto* rd = app.add_subcommand("readings", "stored readings")->require_subcommand(1);
  for (auto* sub : {rd->add_subcommand("count", "count readings"),
                    rd->add_subcommand("stats", "readings per endpoint and sensor"),
                    rd->add_subcommand("recent", "the newest readings"),
                    rd->add_subcommand("export", "every reading")}) {
    sub->add_option("--gateway", gateway, "only this gateway");
    sub->add_option("--sensor", sensor, "only this sensor");
    if (sub->get_name() != "export") sub->add_flag("--json", json, "JSON output");
  }
  rd->get_subcommand("recent")->add_option("--limit", limit, "how many")->capture_default_str();
  rd->get_subcommand("export")
      ->add_option("--format", format, "output format")
      ->check(CLI::IsMember({"csv"}))
      ->capture_default_str();
  rd->get_subcommand("count")->callback(
      [&] { rc = dots::ctl::readingsCount(ctx(), query(), json); });
  rd->get_subcommand("stats")->callback(
      [&] { rc = dots::ctl::readingsStats(ctx(), query(), json); });
  rd->get_subcommand("recent")->callback(
      [&] { rc = dots::ctl::readingsRecent(ctx(), query(), limit, json); });
  rd->get_subcommand("export")->callback(
      [&] { rc = dots::ctl::readingsExportCsv(ctx(), query()); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return rc;
}
