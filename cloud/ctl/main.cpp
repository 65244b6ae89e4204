// dotsctl: wiring only; the commands are declared in commands.h.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "cloud/ctl/commands.h"
#include "cloud/registry/retention.h"
#include "dots/version.h"
#include "shared/app/private_files.h"

int main(int argc, char** argv) {
  // Before anything is created: the registry and store hold keys and data, 0600 in 0700.
  dots::app::usePrivateFileModes();
  CLI::App app{"dotsctl: administers the Dots registry and queries stored readings"};
  app.set_version_flag("--version", std::string("dotsctl ") + dots::kVersion);
  app.require_subcommand(1);
  std::string data_dir;
  app.add_option("--data", data_dir, "folder of the SQLite files (created 0700 if missing)")
      ->required();
  std::string kek_file;
  app.add_option("--kek-file", kek_file,
                 "secret file with the key-encryption key (64 hex digits) that the registry's "
                 "keys are sealed under")
      ->envname("DOTS_KEK_FILE");

  bool json = false;
  std::string name;
  std::string account;
  std::string gateway;
  std::string sensor;
  std::string format = "csv";
  std::size_t limit = 20;
  std::string channel;
  dots::ctl::EndpointSnippet snippet;
  int rc = 0;
  auto ctx = [&] {
    // A folder that cannot be made shows up as the database's error when it is opened.
    if (auto made = dots::app::makePrivateDir(data_dir); !made) {
      std::cerr << "dotsctl: " << made.error().describe() << "\n";
    }
    static constexpr std::string_view kDatabases[] = {"registry.db", "store.db"};
    for (const std::string& note : dots::app::tightenPrivateFiles(data_dir, kDatabases)) {
      std::cerr << "dotsctl: warning: " << note << "\n";
    }
    return dots::ctl::Context{data_dir, std::cout, std::cerr, kek_file};
  };
  auto query = [&] {
    dots::ctl::ReadingQuery q;
    if (!gateway.empty()) q.gateway = gateway;
    if (!sensor.empty()) q.sensor = sensor;
    if (!channel.empty()) q.channel = channel;
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
  bool no_route = false;
  ep_add->add_flag("--no-route", no_route, "do not route it to the account's default channel");
  std::string out_file;
  ep_add->add_option("--out", out_file,
                     "write the config (it holds the key) to this new file, mode 0600, instead of "
                     "stdout; an existing file or a symbolic link is refused");
  std::string kind = "mqtt";
  ep_add
      ->add_option("--kind", kind,
                   "mqtt: a field gateway (prints its config); http: a push endpoint for a partner "
                   "system (prints its push token)")
      ->check(CLI::IsMember({"mqtt", "http"}))
      ->capture_default_str();
  ep_add->callback([&] {
    rc = kind == "http"
             ? dots::ctl::endpointAddPush(ctx(), account, gateway, !no_route)
             : dots::ctl::endpointAdd(ctx(), account, gateway, snippet, !no_route, out_file);
  });
  std::string prefix;
  std::size_t fleet_count = 0;
  std::string fleet_channel = "default";
  std::string keys_file;
  auto* ep_fleet = ep->add_subcommand(
      "fleet", "provision gateways PREFIX1..PREFIXN at once; writes '<gateway> <key hex>' lines");
  ep_fleet->add_option("--account", account, "owning account")->required();
  ep_fleet->add_option("--prefix", prefix, "gateway id prefix")->required();
  ep_fleet->add_option("--count", fleet_count, "how many")
      ->required()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  ep_fleet->add_option("--channel", fleet_channel, "the account's channel to route them to")
      ->capture_default_str();
  ep_fleet
      ->add_option("--keys", keys_file,
                   "new file for the keys, mode 0600; an existing file or a symbolic link is "
                   "refused")
      ->required();
  ep_fleet->callback([&] {
    rc = dots::ctl::endpointFleet(ctx(), account, prefix, fleet_count, fleet_channel, keys_file);
  });
  auto* ep_rotate = ep->add_subcommand(
      "rotate-key", "add a new key and make it active; prints the gateway's new config");
  ep_rotate->add_option("--gateway", gateway, "gateway id")->required();
  ep_rotate->add_option("--broker", snippet.broker, "uplink broker URI for the config")
      ->capture_default_str();
  ep_rotate->add_option("--local-broker", snippet.local_broker, "sensor broker URI for the config")
      ->capture_default_str();
  ep_rotate->add_option("--spool", snippet.spool, "spool path for the config");
  ep_rotate->callback([&] { rc = dots::ctl::endpointRotateKey(ctx(), gateway, snippet); });
  std::uint32_t key_id = 0;
  auto* ep_retire = ep->add_subcommand("retire-key", "stop accepting an old key");
  ep_retire->add_option("--gateway", gateway, "gateway id")->required();
  ep_retire->add_option("--key-id", key_id, "key id")->required();
  ep_retire->callback([&] { rc = dots::ctl::endpointRetireKey(ctx(), gateway, key_id); });
  auto* ep_list = ep->add_subcommand("list", "list endpoints");
  ep_list->add_flag("--json", json, "JSON output");
  ep_list->callback([&] { rc = dots::ctl::endpointList(ctx(), json); });
  auto* ep_disable = ep->add_subcommand("disable", "refuse a gateway's batches");
  ep_disable->add_option("--gateway", gateway, "gateway id")->required();
  ep_disable->callback([&] { rc = dots::ctl::endpointEnable(ctx(), gateway, false); });
  auto* ep_enable = ep->add_subcommand("enable", "accept a gateway's batches again");
  ep_enable->add_option("--gateway", gateway, "gateway id")->required();
  ep_enable->callback([&] { rc = dots::ctl::endpointEnable(ctx(), gateway, true); });

  auto* reg = app.add_subcommand("registry", "the registry itself")->require_subcommand(1);
  reg->add_subcommand("encrypt-keys",
                      "seal every plaintext key under the --kek-file key-encryption key")
      ->callback([&] { rc = dots::ctl::registryEncryptKeys(ctx()); });

  std::string environment = "default";
  std::string owner;
  auto* env =
      app.add_subcommand("environment", "environments (where channels run)")->require_subcommand(1);
  auto* env_add = env->add_subcommand("add", "add an environment");
  env_add->add_option("name", name, "environment name")->required();
  env_add->add_option("--private-to", owner, "account whose channels alone may run there");
  env_add->callback([&] { rc = dots::ctl::environmentAdd(ctx(), name, owner); });
  auto* env_list = env->add_subcommand("list", "list environments");
  env_list->add_flag("--json", json, "JSON output");
  env_list->callback([&] { rc = dots::ctl::environmentList(ctx(), json); });

  std::vector<std::string> handlers;
  auto* ch = app.add_subcommand("channel", "channels (ordered handlers)")->require_subcommand(1);
  auto* ch_add = ch->add_subcommand("add", "add a channel");
  ch_add->add_option("--account", account, "owning account")->required();
  ch_add->add_option("--name", name, "channel name")->required();
  ch_add->add_option("--environment", environment, "where it runs")->capture_default_str();
  ch_add
      ->add_option("--handler", handlers,
                   "handler spec TYPE[:key=value,...], in order (filter, store, aggregate, "
                   "threshold, anomaly, notify)")
      ->required();
  ch_add->callback(
      [&] { rc = dots::ctl::channelAdd(ctx(), account, name, environment, handlers); });
  dots::ctl::RetentionArgs retention;
  auto* ch_keep = ch->add_subcommand(
      "retention",
      "how long a channel keeps readings, aggregates and alerts (DURATION: 30d, 12h, 90m, 45s; "
      "0 = forever); without a period, shows it");
  ch_keep->add_option("--account", account, "owning account")->required();
  ch_keep->add_option("--name", name, "channel name")->required();
  ch_keep->add_option("--readings", retention.readings,
                      "keep reading blocks this long after they were stored (default " +
                          dots::cloud::formatRetention(dots::cloud::Retention::kDefaultReadings) +
                          ")");
  ch_keep->add_option("--aggregates", retention.aggregates,
                      "keep aggregate windows this long after they ended (default " +
                          dots::cloud::formatRetention(dots::cloud::Retention::kDefaultAggregates) +
                          ")");
  ch_keep->add_option("--alerts", retention.alerts,
                      "keep alerts this long after they were stored (default " +
                          dots::cloud::formatRetention(dots::cloud::Retention::kDefaultAlerts) +
                          ")");
  ch_keep->add_flag("--json", json, "JSON output");
  ch_keep->callback(
      [&] { rc = dots::ctl::channelRetention(ctx(), account, name, retention, json); });
  auto* ch_list = ch->add_subcommand("list", "list channels");
  ch_list->add_flag("--json", json, "JSON output");
  ch_list->callback([&] { rc = dots::ctl::channelList(ctx(), json); });

  std::string sensors = "*";
  auto* rt = app.add_subcommand("route", "routes (endpoint -> channel)")->require_subcommand(1);
  auto* rt_add = rt->add_subcommand("add", "route an endpoint's readings to a channel");
  rt_add->add_option("--gateway", gateway, "gateway id")->required();
  rt_add->add_option("--account", account, "the channel's account")->required();
  rt_add->add_option("--channel", channel, "channel name")->required();
  rt_add->add_option("--sensors", sensors, "only sensors matching this glob")
      ->capture_default_str();
  rt_add->callback([&] { rc = dots::ctl::routeAdd(ctx(), gateway, account, channel, sensors); });
  auto* rt_remove = rt->add_subcommand("remove", "remove a route");
  rt_remove->add_option("--gateway", gateway, "gateway id")->required();
  rt_remove->add_option("--account", account, "the channel's account")->required();
  rt_remove->add_option("--channel", channel, "channel name")->required();
  rt_remove->add_option("--sensors", sensors, "the route's sensor glob")->capture_default_str();
  rt_remove->callback(
      [&] { rc = dots::ctl::routeRemove(ctx(), gateway, account, channel, sensors); });
  auto* rt_list = rt->add_subcommand("list", "list routes");
  rt_list->add_flag("--json", json, "JSON output");
  rt_list->callback([&] { rc = dots::ctl::routeList(ctx(), json); });

  std::string stream_broker;
  std::string topic;
  auto* st = app.add_subcommand("stream", "streams (pull from another MQTT broker)")
                 ->require_subcommand(1);
  auto* st_add = st->add_subcommand("add", "add a stream into a channel");
  st_add->add_option("--name", name, "stream name")->required();
  st_add->add_option("--account", account, "the channel's account")->required();
  st_add->add_option("--channel", channel, "channel name")->required();
  st_add->add_option("--broker", stream_broker, "the other system's broker URI")->required();
  st_add->add_option("--topic", topic, "topic filter there")->required();
  dots::ctl::StreamLogin login;
  auto login_options = [&login](CLI::App* sub) {
    sub->add_option("--username", login.username, "user name on the other broker");
    sub->add_option("--password-file", login.password_file,
                    "file whose first line is the password there (mode 0600 or 0640); it is "
                    "kept in the registry");
    sub->add_option("--ca-file", login.ca_file,
                    "CA certificate (PEM) that signed the broker's; required for ssl://");
    sub->add_option("--cert-file", login.cert_file, "client certificate (PEM)");
    sub->add_option("--key-file", login.key_file, "the client certificate's key (PEM)");
  };
  login_options(st_add);
  dots::cloud::StreamLimits limits;
  st_add
      ->add_option("--max-message-bytes", limits.max_message_bytes,
                   "larger messages are refused before they are copied")
      ->capture_default_str();
  st_add->add_option("--rate", limits.rate_per_s, "messages per second; the excess is dropped")
      ->capture_default_str();
  st_add->add_option("--queue", limits.queue, "at most this many of its messages queued at once")
      ->capture_default_str();
  st_add->callback([&] {
    rc = dots::ctl::streamAdd(ctx(), name, account, channel, stream_broker, topic, login, limits);
  });
  auto* st_set =
      st->add_subcommand("set", "replace a stream's credentials and TLS files (all of them)");
  st_set->add_option("--name", name, "stream name")->required();
  login_options(st_set);
  st_set->callback([&] { rc = dots::ctl::streamSet(ctx(), name, login); });
  auto* st_list = st->add_subcommand("list", "list streams");
  st_list->add_flag("--json", json, "JSON output");
  st_list->callback([&] { rc = dots::ctl::streamList(ctx(), json); });

  std::string cidr;
  auto* al = app.add_subcommand("allow-list",
                                "destinations streams and webhooks may reach although private")
                 ->require_subcommand(1);
  auto* al_add = al->add_subcommand("add", "allow an address range (CIDR, e.g. 127.0.0.0/8)");
  al_add->add_option("cidr", cidr, "address or range")->required();
  al_add->callback([&] { rc = dots::ctl::allowListAdd(ctx(), cidr); });
  auto* al_remove = al->add_subcommand("remove", "remove a range from the allow-list");
  al_remove->add_option("cidr", cidr, "address or range")->required();
  al_remove->callback([&] { rc = dots::ctl::allowListRemove(ctx(), cidr); });
  auto* al_list = al->add_subcommand("list", "list the allow-list");
  al_list->add_flag("--json", json, "JSON output");
  al_list->callback([&] { rc = dots::ctl::allowListList(ctx(), json); });

  dots::ctl::TokenArgs token;
  bool operator_token = false;
  std::int64_t token_id = 0;
  auto* tk = app.add_subcommand("token", "bearer tokens of the HTTP API")->require_subcommand(1);
  auto* tk_create =
      tk->add_subcommand("create", "make a token; it is printed once, as the last line");
  auto* tk_account = tk_create->add_option("--account", token.account, "the account it acts for");
  auto* tk_operator = tk_create->add_flag(
      "--operator", operator_token, "an operator token (scope metrics for /metrics, or admin)");
  tk_account->excludes(tk_operator);
  tk_create->add_option("--scope", token.scopes,
                        "comma-separated: read, command, ingest, admin (operator: metrics, "
                        "admin; default metrics)");
  tk_create->add_option("--expires-in", token.expires_in_days, "days until it expires (0: never)")
      ->capture_default_str();
  tk_create->add_option("--name", token.name, "a name to tell it by in token list and the logs");
  tk_create->callback([&] {
    if (!operator_token && token.account.empty()) {
      std::cerr << "dotsctl: token create needs --account NAME or --operator\n";
      rc = 2;
      return;
    }
    if (token.scopes.empty()) {
      if (!operator_token) {
        std::cerr << "dotsctl: token create --account needs --scope\n";
        rc = 2;
        return;
      }
      token.scopes = "metrics";
    }
    rc = dots::ctl::tokenCreate(ctx(), token);
  });
  auto* tk_list = tk->add_subcommand("list", "list tokens (never their secrets)");
  tk_list->add_flag("--json", json, "JSON output");
  tk_list->callback([&] { rc = dots::ctl::tokenList(ctx(), json); });
  auto* tk_revoke = tk->add_subcommand("revoke", "refuse a token from now on");
  tk_revoke->add_option("id", token_id, "the token's id (token list)")->required();
  tk_revoke->callback([&] { rc = dots::ctl::tokenRevoke(ctx(), token_id); });

  auto* rd = app.add_subcommand("readings", "stored readings")->require_subcommand(1);
  for (auto* sub : {rd->add_subcommand("count", "count readings"),
                    rd->add_subcommand("stats", "readings per endpoint and sensor"),
                    rd->add_subcommand("recent", "the newest readings"),
                    rd->add_subcommand("export", "every reading")}) {
    sub->add_option("--gateway", gateway, "only this gateway");
    sub->add_option("--sensor", sensor, "only this sensor");
    sub->add_option("--channel", channel, "only what this channel stored (ACCOUNT/NAME)");
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

  auto* al_cmd = app.add_subcommand("alerts", "stored alerts")->require_subcommand(1);
  auto* al_ls = al_cmd->add_subcommand("list", "alerts, oldest first");
  auto* ag_cmd =
      app.add_subcommand("aggregates", "stored aggregate windows")->require_subcommand(1);
  auto* ag_ls = ag_cmd->add_subcommand("list", "aggregate windows by gateway, sensor and start");
  std::size_t list_limit = 1000;
  for (auto* sub : {al_ls, ag_ls}) {
    sub->add_option("--gateway", gateway, "only this gateway");
    sub->add_option("--sensor", sensor, "only this sensor");
    sub->add_option("--channel", channel, "only this channel's (ACCOUNT/NAME)");
    sub->add_option("--limit", list_limit, "how many at most")->capture_default_str();
    sub->add_flag("--json", json, "JSON output, as the HTTP API answers");
  }
  al_ls->callback([&] { rc = dots::ctl::alertsList(ctx(), query(), list_limit, json); });
  ag_ls->callback([&] { rc = dots::ctl::aggregatesList(ctx(), query(), list_limit, json); });
  auto* gw_cmd =
      app.add_subcommand("gateways", "gateways and what is stored of them")->require_subcommand(1);
  auto* gw_ls = gw_cmd->add_subcommand("list", "every endpoint: sensors, readings, last reading");
  gw_ls->add_flag("--json", json, "JSON output");
  gw_ls->callback([&] { rc = dots::ctl::gatewaysList(ctx(), json); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return rc;
}
