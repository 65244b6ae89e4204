// dots-ingest: wiring only. See ingester.h for what it does.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "cloud/ingest/ingester.h"
#include "cloud/registry/key_wrap.h"
#include "dots/version.h"
#include "shared/app/private_files.h"
#include "shared/app/signals.h"
#include "shared/log/log.h"

int main(int argc, char** argv) {
  // Before anything is created: the store and the registry's WAL are 0600.
  dots::app::usePrivateFileModes();
  dots::app::blockStopSignals();
  CLI::App app{
      "dots-ingest: takes sealed batches from field gateways, verifies, stores and "
      "acknowledges them"};
  dots::cloud::IngestOptions options;
  std::string log_level = "info";
  app.set_version_flag("--version", std::string("dots-ingest ") + dots::kVersion);
  app.add_option("--data", options.data_dir, "folder of the SQLite files (registry.db, store.db)")
      ->required();
  app.add_option("--broker", options.broker, "broker URI, tcp://host:port or ssl://host:port")
      ->capture_default_str();
  app.add_option("--environment", options.environment,
                 "environment served; replicas of one environment share the load")
      ->capture_default_str();
  app.add_option("--http", options.http,
                 "HOST:PORT for /healthz, /metrics and the query API (port 0: any free port)");
  app.add_option("--username", options.username, "broker user name");
  app.add_option("--password", options.password, "broker password");
  app.add_option("--ca-file", options.ca_file, "CA certificate for ssl:// brokers");
  std::string kek_file;
  app.add_option("--kek-file", kek_file,
                 "secret file with the key-encryption key (64 hex digits) that the registry's "
                 "keys are sealed under")
      ->envname("DOTS_KEK_FILE");
  app.add_option("--queue-limit", options.queue_limit,
                 "opened batches waiting for the store; beyond it the broker is held back")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  dots::log::Level level{};
  dots::log::parseLevel(log_level, level);
  dots::log::setLevel(level);
  if (!std::filesystem::is_directory(options.data_dir)) {
    std::cerr << "dots-ingest: --data " << options.data_dir << " is not a directory\n";
    return 2;
  }
  static constexpr std::string_view kDatabases[] = {"registry.db", "store.db"};
  for (const std::string& note : dots::app::tightenPrivateFiles(options.data_dir, kDatabases)) {
    dots::log::warn("ingest", note);
  }
  if (!kek_file.empty()) {
    std::string warning;
    auto kek = dots::cloud::readKekFile(kek_file, warning);
    if (!kek) {
      std::cerr << "dots-ingest: --kek-file: " << kek.error().detail << "\n";
      return 2;
    }
    if (!warning.empty()) dots::log::warn("ingest", warning);
    options.kek = *kek;
  }
  if (!options.broker.starts_with("tcp://") && !options.broker.starts_with("ssl://")) {
    std::cerr << "dots-ingest: --broker must be tcp://host:port or ssl://host:port\n";
    return 2;
  }
  try {
    dots::cloud::Ingester ingester(options);
    ingester.start();
    int sig = dots::app::waitForStopSignal();
    dots::log::info("ingest", "signal ", sig, ": shutting down");
    ingester.stop();
  } catch (const std::exception& e) {
    dots::log::error("ingest", e.what());
    return 1;
  }
  return 0;
}
