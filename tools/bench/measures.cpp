#include "tools/bench/measures.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "cloud/store/sqlite/sqlite_queries.h"
#include "cloud/store/sqlite/sqlite_writer.h"
#include "gateway/spool/spool.h"
#include "shared/codec/batch_codec.h"
#include "shared/compress/zstd_codec.h"
#include "shared/mqtt/client.h"
#include "shared/seal/keys.h"
#include "shared/sqlite/database.h"
#include "shared/topics/topics.h"

namespace dots::bench {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double processCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

mqtt::ClientOptions clientOptions(const std::string& uri, const std::string& id) {
  mqtt::ClientOptions o;
  o.uri = uri;
  o.client_id = id;
  o.max_inflight = 65535;
  o.max_buffered = 100000;
  o.log_name = id;
  return o;
}

// Publishes until the client takes it; "busy" is back-pressure.
void publishBlocking(mqtt::Client& client, std::string_view topic,
                     std::span<const std::uint8_t> payload, int qos) {
  for (int spins = 0;; ++spins) {
    auto r = client.publish(topic, payload, qos);
    if (r) return;
    if (r.error().reason != "busy") throw std::runtime_error(r.error().describe());
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}
}  // namespace

std::string singleReadingMessage() {
  return R"([{"n":"sensor-0001","u":"Cel","t":1795540341.743,"v":21.37}])";
}

Batch sampleBatch(std::size_t readings, std::size_t sensors, std::uint64_t seq) {
  Batch b;
  b.readings.reserve(readings);
  std::int64_t t0 = 1'795'540'000'000 + static_cast<std::int64_t>(seq) * 1000;
  for (std::size_t i = 0; i < readings; ++i) {
    std::size_t s = (seq * readings + i) % sensors;
    double v = 20.0 + 5.0 * std::sin(static_cast<double>(seq + s) * 0.01);
    b.readings.push_back({"sensor-" + std::to_string(s),
                          "Cel",
                          t0 + static_cast<std::int64_t>(i / sensors),
                          ValueKind::kNumber,
                          std::round(v * 100) / 100,
                          "",
                          {}});
  }
  return b;
}

ReceiveResult receive(const std::string& uri, const std::string& topic, int qos,
                      std::uint64_t count, std::chrono::seconds timeout,
                      const std::function<void()>& ready) {
  auto options = clientOptions(uri, "bench-receive");
  options.no_delay = false;  // as the gateway's sensor input
  mqtt::Client sub(options);
  std::mutex mutex;
  std::condition_variable cv;
  std::uint64_t received = 0;
  Clock::time_point first;
  Clock::time_point last;
  bool subscribed = false;
  sub.subscribe(topic, qos);
  sub.onMessage([&](std::string_view, std::span<const std::uint8_t>) {
    std::lock_guard lock(mutex);
    if (received == 0) first = Clock::now();
    if (++received >= count) {
      last = Clock::now();
      cv.notify_all();
    }
  });
  sub.onConnected([&] {
    std::lock_guard lock(mutex);
    subscribed = true;
    cv.notify_all();
  });
  sub.start();
  std::unique_lock lock(mutex);
  if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return subscribed; }))
    throw std::runtime_error("receive: cannot subscribe at " + uri);
  double cpu0 = processCpuSeconds();
  ready();
  cv.wait_for(lock, timeout, [&] { return received >= count; });
  ReceiveResult r;
  r.messages = received;
  if (received >= count) {
    r.seconds = std::chrono::duration<double>(last - first).count();
    r.cpu_seconds = processCpuSeconds() - cpu0;
  }
  lock.unlock();
  sub.stop();
  return r;
}

SealResult sealRate(std::size_t readings, double seconds) {
  SealResult r;
  seal::AesGcm gcm(seal::randomKey());
  Batch batch = sampleBatch(readings, readings, 1);
  auto plain = codec::encodeBatch(batch);
  r.plaintext_bytes = plain.size();
  auto compressed = compress::compress(plain);
  auto nonce = seal::nonceFor(1, 1);
  std::vector<std::uint8_t> out;
  std::uint64_t n = 0;
  auto start = Clock::now();
  do {
    for (int i = 0; i < 1000; ++i, ++n) {
      out.clear();
      gcm.encrypt(nonce, {}, compressed, out);
    }
  } while (since(start) < seconds);
  r.gcm_mb_per_s = static_cast<double>(n * compressed.size()) / since(start) / 1e6;

  std::vector<std::uint8_t> sealed;
  n = 0;
  start = Clock::now();
  do {
    for (int i = 0; i < 100; ++i, ++n) {
      sealed = seal::sealEnvelope(gcm, {"gw-bench", 1, 1, n}, codec::encodeBatch(batch), true);
    }
  } while (since(start) < seconds);
  r.seal_batches_per_s = static_cast<double>(n) / since(start);
  r.sealed_bytes = sealed.size();

  sealed = seal::sealEnvelope(gcm, {"gw-bench", 1, 1, 7}, plain, true);
  n = 0;
  start = Clock::now();
  do {
    for (int i = 0; i < 100; ++i, ++n) {
      auto view = seal::readEnvelope(sealed);
      auto opened = seal::openEnvelope(gcm, *view);
      auto decoded = codec::decodeBatch(*opened);
      if (!decoded || decoded->readings.size() != readings) throw std::runtime_error("open");
    }
  } while (since(start) < seconds);
  r.open_batches_per_s = static_cast<double>(n) / since(start);
  return r;
}

double sqliteBlocksPerSecond(const std::string& data_dir, std::uint64_t blocks) {
  // SQLite alone: what the store writes per 100-reading batch (a ledger row and a block row,
  // the block encoded once up front), with the store's schema and pragmas, 100 batches per
  // transaction.
  { auto store = cloud::sqlite_store::SqliteWriter::open(data_dir); }
  auto db = sqlite::Database::open(data_dir + "/store.db");
  if (!db) throw std::runtime_error(db.error().describe());
  (void)db->exec("PRAGMA journal_mode=WAL");
  (void)db->exec("PRAGMA synchronous=NORMAL");
  auto ledger = db->prepare(
      "INSERT INTO batches(gateway, epoch, seq, readings, stored_ms, historical) "
      "VALUES('gw-1', 1, ?1, 100, 0, 0)");
  auto block = db->prepare(
      "INSERT INTO reading_blocks(channel_id, gateway, first_ms, last_ms, count, historical, "
      "stored_ms, readings) VALUES(1, 'gw-1', ?1, ?1, 100, 0, 0, ?2)");
  if (!ledger || !block) throw std::runtime_error("sqlite: cannot prepare");
  auto bytes = codec::encodeBatch(sampleBatch(100, 100, 1));
  auto start = Clock::now();
  for (std::uint64_t i = 0; i < blocks; i += 100) {
    (void)db->exec("BEGIN");
    for (std::uint64_t j = i; j < i + 100 && j < blocks; ++j) {
      ledger->bind(1, static_cast<std::int64_t>(j));
      (void)ledger->run();
      block->bind(1, static_cast<std::int64_t>(1'795'540'000'000 + j)).bindBlob(2, bytes);
      (void)block->run();
    }
    (void)db->exec("COMMIT");
  }
  return static_cast<double>(blocks) / since(start);
}

LoadResult load(const std::string& uri, const std::vector<Endpoint>& endpoints,
                std::uint64_t batches, std::size_t readings, std::size_t sensors,
                std::size_t window, std::uint64_t first_seq) {
  // Sealed up front, so the loader's own cost does not slow the broker's intake.
  std::vector<std::vector<std::uint8_t>> sealed;
  std::vector<std::string> up_topics;
  std::vector<std::unique_ptr<seal::AesGcm>> ciphers;
  // One run per load, as a gateway's: each batch under the run's derived key.
  const std::uint64_t run = seal::randomRun();
  for (const auto& e : endpoints) {
    ciphers.push_back(std::make_unique<seal::AesGcm>(
        seal::deriveKey(e.key, seal::Purpose::kUplinkSeal, e.gateway, 1, run)));
    up_topics.push_back(topics::up(e.gateway));
  }
  std::uint32_t epoch = static_cast<std::uint32_t>(std::time(nullptr));
  for (std::uint64_t i = 0; i < batches; ++i) {
    std::size_t g = i % endpoints.size();
    std::uint64_t seq = first_seq + i / endpoints.size();
    sealed.push_back(seal::sealEnvelope(*ciphers[g], {endpoints[g].gateway, 1, epoch, seq, run},
                                        codec::encodeBatch(sampleBatch(readings, sensors, seq)),
                                        true));
  }
  mqtt::Client pub(clientOptions(uri, "bench-loader"));
  pub.start();
  if (!pub.waitConnected(std::chrono::seconds(10))) throw std::runtime_error("load: no broker");
  LoadResult r;
  auto start = Clock::now();
  for (std::uint64_t i = 0; i < batches; ++i) {
    // A window of unacknowledged messages, as mosquitto_pub keeps: bursts of thousands make the
    // broker queue for its subscribers, which is slower than passing messages straight on.
    if (!pub.waitInflightBelow(window, std::chrono::seconds(30)))
      throw std::runtime_error("load: no PUBACK for 30 s");
    publishBlocking(pub, up_topics[i % endpoints.size()], sealed[i], 1);
  }
  (void)pub.waitInflightBelow(1, std::chrono::seconds(120));
  r.seconds = since(start);
  r.batches = batches;
  r.readings = batches * readings;
  pub.stop();
  return r;
}

LatencyResult latency(const std::string& data_dir) {
  auto store = cloud::sqlite_store::SqliteQueries::open(data_dir);
  if (!store) throw std::runtime_error(store.error().describe());
  std::vector<std::int64_t> ms;
  std::map<std::int64_t, std::int64_t> newest;  // per stored time: the newest reading's time
  auto r = (*store)->forEach({}, [&](const cloud::StoredReading& row) {
    ms.push_back(row.stored_ms - row.reading.time_ms);
    auto [it, fresh] = newest.try_emplace(row.stored_ms, row.reading.time_ms);
    if (!fresh) it->second = std::max(it->second, row.reading.time_ms);
  });
  if (!r) throw std::runtime_error(r.error().describe());
  if (ms.empty()) throw std::runtime_error("latency: no readings in " + data_dir);
  std::ranges::sort(ms);
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ms.size()))) - 1;
    return static_cast<double>(ms[std::min(i, ms.size() - 1)]);
  };
  LatencyResult out{ms.size(), at(0.5), at(0.99), at(0.999), static_cast<double>(ms.back()),
                    {},        {}};
  // The newest reading of a batch arrived just before the batch closed: its latency is the
  // path after the batcher (seal, spool, uplink, broker, ingester, commit) plus its own trip in.
  ms.clear();
  for (const auto& [stored, time] : newest) ms.push_back(stored - time);
  std::ranges::sort(ms);
  out.newest_p50 = at(0.5);
  out.newest_p99 = at(0.99);
  return out;
}

std::uint64_t fillSpool(const std::string& spool_path, const Endpoint& gateway,
                        std::uint32_t key_id, std::uint64_t bytes, std::size_t readings) {
  gateway::SpoolOptions options;
  options.path = spool_path;
  options.max_bytes = bytes * 2;
  auto spool = gateway::Spool::open(options);
  if (!spool) throw std::runtime_error(spool.error().describe());
  auto epoch = spool->reserveEpoch(1);
  if (!epoch) throw std::runtime_error(epoch.error().describe());
  const std::uint64_t run = seal::randomRun();
  seal::AesGcm gcm(
      seal::deriveKey(gateway.key, seal::Purpose::kUplinkSeal, gateway.gateway, key_id, run));
  // A few distinct batches, encoded once and sealed under every seq; not compressed, so that a
  // gigabyte of backlog is written in seconds (the ingester opens either kind).
  std::vector<std::vector<std::uint8_t>> plaintexts;
  for (std::uint64_t i = 0; i < 16; ++i) {
    Batch batch = sampleBatch(readings, 100, i);
    batch.historical = true;
    plaintexts.push_back(codec::encodeBatch(batch));
  }
  std::int64_t created = static_cast<std::int64_t>(std::time(nullptr)) * 1000;
  std::uint64_t seq = 0;
  while (spool->bytes() < bytes) {
    auto sealed = seal::sealEnvelope(gcm, {gateway.gateway, key_id, *epoch, seq, run},
                                     plaintexts[seq % plaintexts.size()], false);
    auto r = spool->append(*epoch, seq, static_cast<std::uint32_t>(readings), sealed, created, run);
    if (!r || !r->stored) throw std::runtime_error("spool: cannot append");
    ++seq;
  }
  return seq;
}

}  // namespace dots::bench
