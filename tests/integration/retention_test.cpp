// A retention run: a steady stream into channels that keep readings and aggregates for a few
// seconds. What outlived its retention is deleted, what is newer is kept, and once the window is
// reached the store's file stops growing (freed pages are reused). Prints the disk usage.
#include <filesystem>
#include <sstream>
#include <thread>

#include "shared/time/clock.h"
#include "tests/integration/probes.h"
#include "tests/integration/system.h"

using namespace dots;
using namespace dots::itest;

namespace {
struct Sample {
  double elapsed_s = 0;
  std::uintmax_t db_bytes = 0;
  std::uintmax_t wal_bytes = 0;
  long pages = 0;
  long free_pages = 0;
  long blocks_written = 0;  // the highest block id: every block stored so far
  long blocks_kept = 0;
  long readings_kept = 0;
};

std::uintmax_t sizeOf(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}
}  // namespace

TEST_CASE(
    "cloud: a retention run deletes what outlived it, keeps the rest, the file stops growing") {
  System sys(/*separate_local=*/true);
  auto config = sys.provision("gw1");  // routed to acme/default (store)
  sys.ctl({"channel", "add", "--account", "acme", "--name", "agg", "--handler",
           "aggregate:window_s=1"});
  sys.ctl({"route", "add", "--gateway", "gw1", "--account", "acme", "--channel", "agg"});
  const long keep_ms = 6000;
  CommandResult set = sys.ctl(
      {"channel", "retention", "--account", "acme", "--name", "default", "--readings", "6s"});
  CHECK(set.out == "channel acme/default keeps readings 6s, aggregates 400d, alerts 90d\n");
  sys.ctl({"channel", "retention", "--account", "acme", "--name", "agg", "--aggregates", "6s"});
  auto ingest = sys.startIngest("ingest.log", {"--retention-interval", "0.5"});
  auto gateway = sys.startGateway(config, "gateway.log");
  const double rate = 2000;
  const long total = 60000;  // 30 s
  Process sim(sys.simArgs("run", total, 30, rate), sys.path("sim.log"));

  std::string db = sys.data() + "/store.db";
  std::vector<Sample> samples;
  auto t0 = std::chrono::steady_clock::now();
  const auto slack_ms = 2500;  // a pass every 0.5 s, a group's commit, the aggregate fold (2 s)
  while (sim.running() && samples.size() < 40) {
    std::this_thread::sleep_for(2s);  // the sampling period of the figure, not a wait for an event
    Sample s;
    s.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::int64_t now = wallMillis();
    s.db_bytes = sizeOf(db);
    s.wal_bytes = sizeOf(db + "-wal");
    s.pages = queryLong(db, "PRAGMA page_count");
    s.free_pages = queryLong(db, "PRAGMA freelist_count");
    s.blocks_written = queryLong(db, "SELECT coalesce(max(id), 0) FROM reading_blocks");
    s.blocks_kept = queryLong(db, "SELECT count(*) FROM reading_blocks");
    s.readings_kept = queryLong(db, "SELECT coalesce(sum(count), 0) FROM reading_blocks");
    samples.push_back(s);
    if (s.elapsed_s < 2.0 * keep_ms / 1000) continue;
    // Past the window: nothing older than the retention (and the pass interval) is left, the
    // newer readings are there.
    INFO("at ", s.elapsed_s, " s");
    CHECK(queryLong(db, "SELECT min(stored_ms) FROM reading_blocks") >= now - keep_ms - slack_ms);
    CHECK(s.readings_kept >= static_cast<long>(rate * keep_ms / 1000 / 2));
    CHECK(queryLong(db, "SELECT count(*) FROM aggregates WHERE window_start_ms + window_ms < " +
                            std::to_string(now - keep_ms - slack_ms)) == 0);
    CHECK(queryLong(db, "SELECT count(*) FROM aggregates WHERE window_start_ms >= " +
                            std::to_string(now - keep_ms)) > 0);
  }
  REQUIRE(sim.wait(60s) == 0);
  REQUIRE(samples.size() >= 10);

  // From twice the window on, the file holds steady while the blocks written keep growing.
  const Sample* steady = nullptr;
  for (const Sample& s : samples) {
    if (!steady && s.elapsed_s >= 2.0 * keep_ms / 1000) steady = &s;
  }
  REQUIRE(steady != nullptr);
  const Sample& last = samples.back();
  std::ostringstream figure;
  figure << "elapsed_s db_bytes wal_bytes pages free_pages blocks_written blocks_kept "
            "readings_kept\n";
  for (const Sample& s : samples) {
    figure << static_cast<int>(s.elapsed_s) << " " << s.db_bytes << " " << s.wal_bytes << " "
           << s.pages << " " << s.free_pages << " " << s.blocks_written << " " << s.blocks_kept
           << " " << s.readings_kept << "\n";
  }
  MESSAGE("retention run (readings and 1 s aggregates kept 6 s, ", rate,
          " readings/s, 30 sensors):\n", figure.str());
  INFO(figure.str());
  CHECK(last.blocks_written >= steady->blocks_written * 3 / 2);
  CHECK(last.pages <= steady->pages + steady->pages / 4 + 16);
  CHECK(last.blocks_kept < last.blocks_written / 2);
  CHECK(ingest->log().find("retention: deleted") != std::string::npos);
}
