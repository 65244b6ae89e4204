// Microbenchmarks (Google Benchmark) of the hot paths, one 100-reading batch at a time:
// seal/open, encode/decode, SenML parse, spool append, store, anomaly detection. Run by bench/run.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include "cloud/handlers/anomaly/anomaly_handler.h"
#include "cloud/handlers/handler_table.h"
#include "cloud/store/alert_only_sink.h"
#include "cloud/store/sqlite/sqlite_writer.h"
#include "gateway/spool/spool.h"
#include "shared/codec/batch_codec.h"
#include "shared/seal/envelope.h"
#include "shared/senml/payload_parser.h"
#include "tools/bench/measures.h"

using namespace dots;

namespace {
constexpr std::size_t kReadings = 100;

std::string scratchDir(const std::string& name) {
  std::string dir = std::filesystem::temp_directory_path() /
                    ("dots-micro-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void BM_Encode(benchmark::State& state) {
  Batch batch = bench::sampleBatch(kReadings, kReadings, 1);
  for (auto _ : state) benchmark::DoNotOptimize(codec::encodeBatch(batch));
  state.SetItemsProcessed(state.iterations() * kReadings);
}

void BM_Decode(benchmark::State& state) {
  auto bytes = codec::encodeBatch(bench::sampleBatch(kReadings, kReadings, 1));
  for (auto _ : state) benchmark::DoNotOptimize(codec::decodeBatch(bytes));
  state.SetItemsProcessed(state.iterations() * kReadings);
}

void BM_Seal(benchmark::State& state) {
  seal::AesGcm gcm(seal::randomKey());
  auto plain = codec::encodeBatch(bench::sampleBatch(kReadings, kReadings, 1));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(seal::sealEnvelope(gcm, {"gw", 1, 1, seq++}, plain, true));
  }
  state.SetItemsProcessed(state.iterations() * kReadings);
}

void BM_Open(benchmark::State& state) {
  seal::AesGcm gcm(seal::randomKey());
  auto sealed = seal::sealEnvelope(
      gcm, {"gw", 1, 1, 1}, codec::encodeBatch(bench::sampleBatch(kReadings, kReadings, 1)), true);
  for (auto _ : state) {
    auto view = seal::readEnvelope(sealed);
    benchmark::DoNotOptimize(seal::openEnvelope(gcm, *view));
  }
  state.SetItemsProcessed(state.iterations() * kReadings);
}

void BM_SenmlParse(benchmark::State& state) {
  senml::PayloadParser parser;
  std::string message = bench::singleReadingMessage();
  std::vector<Reading> out;
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(parser.parse(message, "sensors/a", 1'795'540'341'743, out));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SpoolAppend(benchmark::State& state) {
  std::string dir = scratchDir("spool");
  gateway::SpoolOptions o;
  o.path = dir + "/spool.db";
  auto spool = gateway::Spool::open(o);
  seal::AesGcm gcm(seal::randomKey());
  auto sealed = seal::sealEnvelope(
      gcm, {"gw", 1, 1, 1}, codec::encodeBatch(bench::sampleBatch(kReadings, kReadings, 1)), true);
  std::uint64_t seq = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(spool->append(1, seq++, kReadings, sealed, 0));
  }
  state.SetItemsProcessed(state.iterations() * kReadings);
  std::filesystem::remove_all(dir);
}

void BM_Store(benchmark::State& state) {
  std::string dir = scratchDir("store");
  auto store = cloud::sqlite_store::SqliteWriter::open(dir);
  Batch batch = bench::sampleBatch(kReadings, kReadings, 1);
  std::uint64_t seq = 0;
  const std::array<std::uint8_t, 16> digest{};
  for (auto _ : state) {
    (void)(*store)->begin();
    (void)(*store)->recordBatch("gw", {1, 1, seq++}, digest, kReadings, false);
    (void)(*store)->storeReadings(1, "gw", batch.readings, false);
    (void)(*store)->commit();
  }
  state.SetItemsProcessed(state.iterations() * kReadings);
  std::filesystem::remove_all(dir);
}
// A seeded random walk with a daily-like wave, for the anomaly detector.
std::vector<double> sampleSeries(std::size_t n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> out(n);
  double walk = 20;
  for (std::size_t i = 0; i < n; ++i) {
    walk += 0.05 * noise(rng);
    out[i] = walk + 3 * std::sin(static_cast<double>(i) * 0.02);
  }
  return out;
}

// The default detector alone (method=density), one reading per item.
void BM_AnomalyDetector(benchmark::State& state) {
  auto series = sampleSeries(1 << 16);
  cloud::DensityParams params;
  cloud::DensityState detector;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        cloud::scoreDensity(params, detector, series[i], static_cast<std::int64_t>(i) * 60000));
    i = (i + 1) & (series.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
}

// The whole anomaly handler with its defaults on 100-reading batches of 10 sensors: name
// match, per-sensor lookup and staging, detector and episodes.
void BM_AnomalyHandler(benchmark::State& state) {
  auto handler = cloud::makeHandler("anomaly");
  auto series = sampleSeries(1 << 16);
  cloud::AlertOnlySink sink;
  std::vector<Reading> batch(kReadings);
  for (std::size_t j = 0; j < kReadings; ++j) batch[j].name = "sensor-" + std::to_string(j % 10);
  std::size_t i = 0;
  for (auto _ : state) {
    for (auto& r : batch) {
      r.value = series[i];
      r.time_ms = static_cast<std::int64_t>(i);
      i = (i + 1) & (series.size() - 1);
    }
    cloud::HandlerContext ctx{1, "a", "c", "gw", false, sink, {}};
    benchmark::DoNotOptimize((*handler)->process(batch, ctx));
    (*handler)->commit();
    sink.alerts.clear();
  }
  state.SetItemsProcessed(state.iterations() * kReadings);
}
}  // namespace

BENCHMARK(BM_AnomalyDetector);
BENCHMARK(BM_AnomalyHandler);
BENCHMARK(BM_Encode);
BENCHMARK(BM_Decode);
BENCHMARK(BM_Seal);
BENCHMARK(BM_Open);
BENCHMARK(BM_SenmlParse);
BENCHMARK(BM_SpoolAppend);
BENCHMARK(BM_Store);
BENCHMARK_MAIN();
