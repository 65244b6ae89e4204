#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shared/model/reading.h"
#include "shared/seal/envelope.h"

namespace dots::bench {

// A subscriber that does nothing but count, on the same MQTT adapter the daemons use (the
// gateway's sensor-input options): the client library's own cost per received message. Ready
// once `ready` has been called (connected and subscribed); returns after `count` messages or
// `timeout`. The time runs from the first message to the last, the CPU (the whole process)
// from ready to the last.
struct ReceiveResult {
  std::uint64_t messages = 0;
  double seconds = 0;
  double cpu_seconds = 0;
};
ReceiveResult receive(const std::string& uri, const std::string& topic, int qos,
                      std::uint64_t count, std::chrono::seconds timeout,
                      const std::function<void()>& ready);

// A realistic batch: `readings` readings of `sensors` sensors, one per sensor per second.
Batch sampleBatch(std::size_t readings, std::size_t sensors, std::uint64_t seq);
// A single-reading SenML message as a sensor sends it.
std::string singleReadingMessage();

struct SealResult {
  std::size_t plaintext_bytes = 0;  // the encoded batch, before compression
  std::size_t sealed_bytes = 0;
  double gcm_mb_per_s = 0;        // AES-256-GCM alone on the compressed batch
  double seal_batches_per_s = 0;  // encode + compress + encrypt
  double open_batches_per_s = 0;  // read + decrypt + decompress + decode
};
SealResult sealRate(std::size_t readings, double seconds);

// 100-reading batches per second that SQLite alone takes as the store writes them (ledger row +
// block row) with its schema and pragmas, 100 batches per transaction, in <data_dir>/store.db.
double sqliteBlocksPerSecond(const std::string& data_dir, std::uint64_t blocks);

struct Endpoint {
  std::string gateway;
  seal::Key key{};
};
struct LoadResult {
  std::uint64_t batches = 0;
  std::uint64_t readings = 0;
  double seconds = 0;
};
// Publishes `batches` sealed batches (QoS 1), round robin over the endpoints, as fast as the
// broker takes them with at most `window` unacknowledged; each gateway's sequence numbers (and
// the readings' times, a second per sequence number) start at `first_seq`.
LoadResult load(const std::string& uri, const std::vector<Endpoint>& endpoints,
                std::uint64_t batches, std::size_t readings, std::size_t sensors,
                std::size_t window, std::uint64_t first_seq = 0);

// Sensor time -> written by the ingester, over every reading in <data_dir>/store.db: the
// readings' own times (the sensor's clock at publishing) against the time the ingester wrote
// them, in milliseconds (both wall clocks of this machine).
struct LatencyResult {
  std::uint64_t readings = 0;
  double p50 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
  // Over the newest reading of each stored block: the path after the gateway's batcher.
  double newest_p50 = 0;
  double newest_p99 = 0;
};
LatencyResult latency(const std::string& data_dir);

// Fills a gateway's spool with sealed, uncompressed batches of `readings` readings each (with the
// gateway's key, so the ingester accepts them) until it holds `bytes` of payload: a backlog as
// a long outage leaves it. Returns the batches written.
std::uint64_t fillSpool(const std::string& spool_path, const Endpoint& gateway,
                        std::uint32_t key_id, std::uint64_t bytes, std::size_t readings);

}  // namespace dots::bench
