// dots-bench: the measuring half of bench/run. Each subcommand measures one thing and prints
// one JSON line.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "shared/text/hex.h"
#include "shared/text/text.h"
#include "tools/bench/measures.h"

using namespace dots;

namespace {
std::vector<bench::Endpoint> readEndpoints(const std::string& path) {
  std::vector<bench::Endpoint> out;
  std::ifstream in(path);
  std::string gateway;
  std::string key_hex;
  while (in >> gateway >> key_hex) {
    auto key = fromHex(key_hex);
    if (!key || key->size() != seal::kKeyBytes) throw std::runtime_error("bad key for " + gateway);
    bench::Endpoint e{gateway, {}};
    std::copy(key->begin(), key->end(), e.key.begin());
    out.push_back(e);
  }
  if (out.empty()) throw std::runtime_error("no endpoints in " + path);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dots-bench: one measurement per subcommand, one JSON line out"};
  app.require_subcommand(1);
  std::string broker;
  int qos = 1;
  std::uint64_t count = 100000;
  std::string topic;
  int timeout_s = 120;
  auto* receive = app.add_subcommand(
      "receive", "a bare subscriber: rate and CPU per message; prints 'subscribed' on stderr");
  receive->add_option("--broker", broker)->required();
  receive->add_option("--topic", topic)->required();
  receive->add_option("--qos", qos)->check(CLI::Range(0, 1));
  receive->add_option("--count", count);
  receive->add_option("--timeout", timeout_s, "seconds");

  std::size_t readings = 100;
  double seconds = 2;
  auto* seal = app.add_subcommand("seal", "AES-GCM, seal and open rates for one batch size");
  seal->add_option("--readings", readings);
  seal->add_option("--seconds", seconds);

  std::string data_dir;
  auto* sqlite = app.add_subcommand(
      "sqlite", "100-reading batches/s SQLite takes as the store writes them (ledger + block)");
  sqlite->add_option("--data", data_dir)->required();
  sqlite->add_option("--batches", count);

  std::string endpoints_file;
  std::size_t sensors = 100;
  auto* load = app.add_subcommand("load", "publish sealed batches for provisioned gateways");
  load->add_option("--broker", broker)->required();
  load->add_option("--endpoints", endpoints_file, "lines of '<gateway> <key hex>'")->required();
  load->add_option("--batches", count);
  load->add_option("--readings", readings);
  load->add_option("--sensors", sensors, "distinct sensors per gateway");
  std::size_t window = 100;
  load->add_option("--window", window, "unacknowledged messages at most")->capture_default_str();
  std::uint64_t first_seq = 0;
  load->add_option("--first-seq", first_seq, "each gateway's first sequence number")
      ->capture_default_str();
  auto* latency = app.add_subcommand(
      "latency", "sensor time -> written by the ingester, percentiles over a store's readings");
  latency->add_option("--data", data_dir)->required();
  std::string spool_path;
  std::string gateway_id;
  std::string key_hex;
  std::uint32_t key_id = 1;
  std::uint64_t bytes = 1'000'000'000;
  auto* fill = app.add_subcommand("spool-fill", "a gateway's spool holding a backlog of BYTES");
  fill->add_option("--spool", spool_path)->required();
  fill->add_option("--gateway", gateway_id)->required();
  fill->add_option("--key", key_hex, "the gateway's key (hex)")->required();
  fill->add_option("--key-id", key_id);
  fill->add_option("--bytes", bytes)->capture_default_str();
  fill->add_option("--readings", readings, "readings per batch");
  CLI11_PARSE(app, argc, argv);

  try {
    if (*receive) {
      auto r = bench::receive(broker, topic, qos, count, std::chrono::seconds(timeout_s),
                              [] { std::cerr << "subscribed" << std::endl; });
      if (r.messages < count) {
        std::cerr << "dots-bench: receive: " << r.messages << " of " << count << " arrived\n";
        return 1;
      }
      std::cout << R"({"qos":)" << qos << R"(,"messages":)" << r.messages << R"(,"seconds":)"
                << formatDouble(r.seconds) << R"(,"per_s":)"
                << formatDouble(static_cast<double>(r.messages) / r.seconds) << R"(,"cpu_us":)"
                << formatDouble(r.cpu_seconds * 1e6 / static_cast<double>(r.messages)) << "}\n";
    } else if (*seal) {
      auto r = bench::sealRate(readings, seconds);
      std::cout << R"({"readings":)" << readings << R"(,"plaintext_bytes":)" << r.plaintext_bytes
                << R"(,"sealed_bytes":)" << r.sealed_bytes << R"(,"gcm_mb_per_s":)"
                << formatDouble(r.gcm_mb_per_s) << R"(,"seal_per_s":)"
                << formatDouble(r.seal_batches_per_s) << R"(,"open_per_s":)"
                << formatDouble(r.open_batches_per_s) << "}\n";
    } else if (*sqlite) {
      double rate = bench::sqliteBlocksPerSecond(data_dir, count);
      std::cout << R"({"batches":)" << count << R"(,"per_s":)" << formatDouble(rate) << "}\n";
    } else if (*fill) {
      auto key = fromHex(key_hex);
      if (!key || key->size() != seal::kKeyBytes) throw std::runtime_error("bad --key");
      bench::Endpoint e{gateway_id, {}};
      std::copy(key->begin(), key->end(), e.key.begin());
      auto batches = bench::fillSpool(spool_path, e, key_id, bytes, readings);
      std::cout << R"({"batches":)" << batches << R"(,"readings":)" << batches * readings
                << R"(,"bytes":)" << bytes << "}\n";
    } else if (*latency) {
      auto r = bench::latency(data_dir);
      std::cout << R"({"readings":)" << r.readings << R"(,"p50_ms":)" << formatDouble(r.p50)
                << R"(,"p99_ms":)" << formatDouble(r.p99) << R"(,"p999_ms":)"
                << formatDouble(r.p999) << R"(,"max_ms":)" << formatDouble(r.max)
                << R"(,"newest_p50_ms":)" << formatDouble(r.newest_p50) << R"(,"newest_p99_ms":)"
                << formatDouble(r.newest_p99) << "}\n";
    } else if (*load) {
      auto r = bench::load(broker, readEndpoints(endpoints_file), count, readings, sensors, window,
                           first_seq);
      std::cout << R"({"batches":)" << r.batches << R"(,"readings":)" << r.readings
                << R"(,"seconds":)" << formatDouble(r.seconds) << "}\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "dots-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
