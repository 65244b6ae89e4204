#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shared/codec/ack_codec.h"
#include "shared/error/error.h"
#include "shared/sqlite/database.h"

namespace dots::gateway {

enum class SpoolPolicy { kDropOldest, kRejectNew };
// SQLite's synchronous level for the spool (WAL journal): kOff trusts the OS (fastest, a power
// cut may lose the last seconds), kNormal (default) may lose the last commits on power loss but
// never corrupts, kFull syncs every commit.
enum class SpoolSync { kOff, kNormal, kFull };

struct SpoolOptions {
  std::string path;
  std::uint64_t max_bytes = 1ull << 30;  // payload bytes, not counting SQLite's overhead
  SpoolPolicy policy = SpoolPolicy::kDropOldest;
  SpoolSync sync = SpoolSync::kNormal;
  std::chrono::seconds max_age{0};  // 0: no age limit
  // Disk space kept free for SQLite's WAL and everyone else: below it the spool is capped at
  // what it holds and the policy applies. 0: no check.
  std::uint64_t min_free_bytes = 8ull << 20;
};

struct SpoolEntry {
  std::int64_t id = 0;  // insertion order
  std::uint32_t epoch = 0;
  std::uint64_t seq = 0;
  std::uint64_t run = 0;  // the gateway run that sealed it
  std::uint32_t readings = 0;
  std::int64_t created_ms = 0;
  std::vector<std::uint8_t> payload;  // the sealed envelope
};

struct AppendOutcome {
  bool stored = false;
  std::uint64_t dropped_batches = 0;  // by policy, to make room or because it was full
  std::uint64_t dropped_readings = 0;
};

struct RemoveOutcome {
  std::vector<std::int64_t> ids;
  std::uint64_t readings = 0;
};

// The gateway's durable store of sealed batches awaiting the ingester's commit ack. One SQLite
// file in WAL mode; one write transaction per batch. Not thread-safe: the gateway's loop thread
// owns it.
class Spool {
 public:
  // Opens or creates the spool. A file SQLite reports as corrupt is renamed to
  // "<path>.corrupt-<unix time>" (logged) and a fresh spool is started.
  static Result<Spool> open(const SpoolOptions& options);

  // Durably reserves a new epoch, at least `at_least` and above every epoch used before, so that
  // (epoch, seq) and with it the seal's nonce is never reused, across restarts and power loss.
  Result<std::uint32_t> reserveEpoch(std::uint32_t at_least);

  // Stores a sealed batch (of run `run`), making room by policy when the cap (or a full disk) is
  // reached.
  Result<AppendOutcome> append(std::uint32_t epoch, std::uint64_t seq, std::uint32_t readings,
                               const std::vector<std::uint8_t>& payload, std::int64_t created_ms,
                               std::uint64_t run = 0);
  // Entries with id > after_id, oldest first.
  Result<std::vector<SpoolEntry>> after(std::int64_t after_id, std::size_t limit);
  Result<std::optional<SpoolEntry>> get(std::int64_t id);
  // Deletes the batches in `ranges` (matched by run, epoch and seq).
  Result<RemoveOutcome> remove(const std::vector<codec::SeqRange>& ranges);
  // Drops batches created before `cutoff_ms` (the age limit); counts what it dropped.
  Result<AppendOutcome> dropOlderThan(std::int64_t cutoff_ms);
  Result<std::optional<std::int64_t>> lastId();

  std::uint64_t bytes() const { return bytes_; }
  // The cap the last append worked under: max_bytes, or less when the disk is short of room.
  std::uint64_t cap() const { return cap_; }
  std::uint64_t batches() const { return batches_; }
  std::uint64_t readings() const { return readings_; }
  Result<std::optional<std::int64_t>> oldestCreatedMs();

 private:
  explicit Spool(sqlite::Database db, SpoolOptions options);
  Result<void> prepare();
  // One transaction: makes room under the cap by policy, then inserts.
  Result<AppendOutcome> insert(std::uint32_t epoch, std::uint64_t seq, std::uint32_t readings,
                               const std::vector<std::uint8_t>& payload, std::int64_t created_ms,
                               std::uint64_t run, AppendOutcome& outcome);
  Result<void> dropOldest(AppendOutcome& outcome);
  // What the spool may hold given the free disk space above min_free_bytes.
  std::uint64_t headroomCap();
  // Steps a DELETE ... RETURNING readings, bytes to its end, counting what it dropped.
  Result<void> countDropped(sqlite::Statement& deletion, AppendOutcome& outcome);
  // The first column of the first row, or nullopt when there is none or it is NULL.
  Result<std::optional<std::int64_t>> queryValue(const char* sql);

  sqlite::Database db_;
  SpoolOptions options_;
  std::uint64_t bytes_ = 0;
  std::uint64_t batches_ = 0;
  std::uint64_t readings_ = 0;
  std::uint64_t page_size_ = 0;  // SQLite's, fixed once the file exists
  // Set when the disk filled up before the cap: the spool is held at that size until it empties.
  std::uint64_t disk_cap_ = UINT64_MAX;
  bool low_disk_ = false;
  std::uint64_t cap_ = 0;
};

}  // namespace dots::gateway
