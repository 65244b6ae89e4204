// dots-ingest: wiring only. See ingester.h for what it does.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cloud/ingest/ingester.h"
#include "cloud/registry/key_wrap.h"
#include "dots/version.h"
#include "shared/app/private_files.h"
#include "shared/app/signals.h"
#include "shared/config/secret_file.h"
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
  app.add_option("--http", options.http.address,
                 "HOST:PORT for /healthz, /metrics and the query API (port 0: any free port)");
  auto* http_cert = app.add_option("--http-cert", options.http.cert_file,
                                   "serve HTTPS with this certificate (PEM; with --http-key)")
                        ->check(CLI::ExistingFile);
  auto* http_key =
      app.add_option("--http-key", options.http.key_file, "the HTTPS certificate's key (PEM)")
          ->check(CLI::ExistingFile);
  http_cert->needs(http_key);
  http_key->needs(http_cert);
  app.add_option("--http-workers", options.http.workers,
                 "HTTP connections served at once (a thread each, started as they come)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{2}, std::size_t{1024}));
  app.add_option("--http-max-body", options.http.max_body_bytes,
                 "largest request body accepted (e.g. 1MiB); larger ones are refused with 413")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--http-token-rate", options.http.token_rate.rate_per_s,
                 "requests per second one token may make (a bucket of --http-token-burst)")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1e6));
  app.add_option("--http-token-burst", options.http.token_rate.burst,
                 "requests one token may make at once")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--http-event-buffer", options.http.event_buffer_bytes,
                 "live events one client may have waiting (e.g. 1MiB); a client further behind "
                 "is dropped")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  double request_timeout_s = 10;
  app.add_option("--http-request-timeout", request_timeout_s,
                 "seconds a request (or a TLS handshake) may take to arrive; a push waits half "
                 "of it for room and one and a half for its commit, and an answer must start "
                 "within three times it")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 3600.0));
  double max_span_days = 31;
  app.add_option("--http-max-span", max_span_days, "days one query may span at most")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3660.0));
  app.add_option("--username", options.username, "broker user name");
  std::string password_file;
  auto* password =
      app.add_option("--password", options.password,
                     "broker password (visible to every user in ps: prefer --password-file or "
                     "DOTS_BROKER_PASSWORD)");
  app.add_option("--password-file", password_file,
                 "file whose first line is the broker password; mode 0600 or 0640 (not "
                 "accessible to others)")
      ->excludes(password);
  app.add_option("--ca-file", options.ca_file,
                 "CA certificate (PEM) that signed the broker's; required for ssl://");
  app.add_option("--cert-file", options.cert_file,
                 "client certificate (PEM) for brokers that log clients in by certificate");
  app.add_option("--key-file", options.key_file, "the client certificate's key (PEM)");
  std::string kek_file;
  app.add_option("--kek-file", kek_file,
                 "secret file with the key-encryption key (64 hex digits) that the registry's "
                 "keys are sealed under")
      ->envname("DOTS_KEK_FILE");
  app.add_option("--queue-limit", options.queue_limit,
                 "opened batches waiting for the store; beyond it the broker is held back")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  app.add_option("--queue-bytes", options.queue_bytes,
                 "memory the waiting messages may take (payloads and decoded readings)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1} << 20, std::size_t{1} << 40));
  app.add_option("--dead-letter-after", options.dead_letter_after,
                 "an authentic batch refused this many times is dead-lettered and the gateway "
                 "told to drop it")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--endpoint-batches-per-s", options.endpoint_rate.batches_per_s,
                 "batches one endpoint may send per second; excess is not acknowledged (0: no "
                 "limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  app.add_option("--endpoint-readings-per-s", options.endpoint_rate.readings_per_s,
                 "readings one endpoint may send per second (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e12));
  app.add_option("--endpoint-bytes-per-s", options.endpoint_rate.bytes_per_s,
                 "envelope bytes one endpoint may send per second (0: no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e12));
  app.add_option("--min-free-bytes", options.disk.min_free_bytes,
                 "free-disk watermark of the data folder (e.g. 256MiB, 2GB; 0: off): below it "
                 "no batch is committed nor acknowledged, the gateways keep them")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  app.add_option("--min-free-percent", options.disk.min_free_percent,
                 "the same as a percentage of the disk (the larger of the two applies; 0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 99.0));
  double retention_interval_s = 60;
  app.add_option("--retention-interval", retention_interval_s,
                 "seconds between retention passes (more often while expired rows remain)")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 86400.0));
  app.add_option("--retention-rows", options.retention_rows,
                 "rows one retention pass deletes at most (one short transaction)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  double ledger_window_s = 30 * 86400.0;
  app.add_option("--ledger-window", ledger_window_s,
                 "seconds the dedup ledger keeps a batch's key (0: for good); older keys are "
                 "pruned and a batch under one is refused as replay-too-old")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e10));
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  options.http.max_span_ms = static_cast<std::int64_t>(max_span_days * 86'400'000);
  {
    auto ms = static_cast<std::int64_t>(request_timeout_s * 1000);
    options.http.request_time = std::chrono::milliseconds(ms);
    options.http.push_queue_wait = std::chrono::milliseconds(ms / 2);
    options.http.push_commit_wait = std::chrono::milliseconds(ms * 3 / 2);
  }
  options.retention_interval =
      std::chrono::milliseconds(static_cast<std::int64_t>(retention_interval_s * 1000));
  options.ledger_window =
      std::chrono::milliseconds(static_cast<std::int64_t>(ledger_window_s * 1000));
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
  if (!password_file.empty()) {
    auto secret = dots::config::readSecretFile(password_file);
    if (!secret) {
      std::cerr << "dots-ingest: --password-file: " << secret.error().detail << "\n";
      return 2;
    }
    options.password = std::move(*secret);
  } else if (const char* env = std::getenv("DOTS_BROKER_PASSWORD");
             options.password.empty() && env && *env) {
    options.password = env;
  }
  if (auto problem = dots::mqtt::checkTlsOptions(dots::cloud::clientOptions(options))) {
    std::string flag = "--" + problem->field;
    std::replace(flag.begin(), flag.end(), '_', '-');
    std::cerr << "dots-ingest: " << flag << " " << problem->message << "\n";
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
