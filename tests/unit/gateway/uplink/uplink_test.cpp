#include "gateway/uplink/uplink.h"

#include <doctest/doctest.h>

#include "shared/codec/ack_codec.h"
#include "shared/codec/batch_codec.h"
#include "shared/seal/envelope.h"
#include "shared/seal/keys.h"
#include "tests/support/fake_connection.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::gateway;
using namespace std::chrono_literals;

namespace {
constexpr std::int64_t kWallMs = 1'700'000'000'000;
const seal::Key kKey = [] {
  seal::Key k{};
  k.fill(0x5a);
  return k;
}();

Spool openSpool(const test::TempDir& dir) {
  auto s =
      Spool::open({dir.file("spool.db"), 1 << 24, SpoolPolicy::kDropOldest, SpoolSync::kNormal});
  REQUIRE(s.has_value());
  return std::move(*s);
}

Batch batchOf(std::size_t n) {
  Batch b;
  for (std::size_t i = 0; i < n; ++i) {
    Reading r;
    r.name = "s" + std::to_string(i);
    r.unit = "Cel";
    r.time_ms = kWallMs + static_cast<std::int64_t>(i);
    r.value = 20.0 + static_cast<double>(i);
    b.readings.push_back(std::move(r));
  }
  return b;
}

// Opens a sealed envelope as the ingester would.
Batch openBatch(const std::vector<std::uint8_t>& sealed, std::uint64_t& seq) {
  auto view = seal::readEnvelope(sealed);
  REQUIRE(view.has_value());
  CHECK(view->header.gateway == "gw1");
  CHECK(view->header.key_id == 3);
  seq = view->header.seq;
  seal::AesGcm gcm(seal::deriveKey(kKey, seal::Purpose::kUplinkSeal, "gw1", 3, view->header.run));
  auto plain = seal::openEnvelope(gcm, *view);
  REQUIRE(plain.has_value());
  auto batch = codec::decodeBatch(*plain);
  REQUIRE(batch.has_value());
  return *batch;
}

struct Rig {
  Rig() {
    auto owned = std::make_unique<test::FakeConnection>();
    connection = owned.get();
    UplinkOptions o;
    o.seal = {"gw1", 3, kKey, true};
    o.delivery = {5s, 4, 1000000};
    uplink = std::make_unique<Uplink>(
        o, openSpool(dir), std::move(owned), [this] { ++wakes; }, [] { return kWallMs; });
  }
  test::TempDir dir;
  test::FakeConnection* connection = nullptr;
  int wakes = 0;
  std::unique_ptr<Uplink> uplink;
};
}  // namespace

TEST_CASE("uplink: seals under this run's epoch, flags batches sealed while down historical") {
  Rig rig;
  rig.uplink->start();
  CHECK(rig.connection->started());
  CHECK(rig.connection->subscriptions() ==
        std::vector<std::pair<std::string, int>>{{"dots/v1/gw1/ack", 1}});
  CHECK(rig.uplink->epoch() >= kWallMs / 1000);

  rig.uplink->submit(batchOf(3));  // down: spooled, not sent
  CHECK(rig.uplink->spool().batches() == 1);
  CHECK(rig.uplink->counters().readings_spooled == 3);

  rig.connection->connect();
  CHECK(rig.wakes == 1);
  CHECK(rig.uplink->hasWork());
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  rig.uplink->service(now);
  CHECK_FALSE(rig.uplink->hasWork());
  rig.uplink->service(now + 1s);  // the backlog waits for the backfill pace to bank readings
  rig.uplink->submit(batchOf(2));
  rig.uplink->service(now + 2s);

  auto sent = rig.connection->takePublished();
  REQUIRE(sent.size() == 2);
  std::uint64_t seq = 99;
  Batch first = openBatch(sent[0].payload, seq);
  CHECK(seq == 0);
  CHECK(first.historical);
  CHECK(first.readings == batchOf(3).readings);
  Batch second = openBatch(sent[1].payload, seq);
  CHECK(seq == 1);
  CHECK_FALSE(second.historical);
  CHECK(sent[1].topic == "dots/v1/gw1/up");
}

TEST_CASE("uplink: an authentic ack deletes its batches, forged or unsent ones are counted") {
  Rig rig;
  rig.uplink->start();
  rig.connection->connect();
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  rig.uplink->service(now);
  rig.uplink->submit(batchOf(4));
  rig.uplink->submit(batchOf(5));
  rig.uplink->service(now);
  CHECK(rig.uplink->inflight() == 2);
  const std::uint64_t run = rig.uplink->run();
  const std::uint32_t epoch = rig.uplink->epoch();
  CHECK(run != 0);
  seal::Key ack_key = seal::deriveKey(kKey, seal::Purpose::kAck, "gw1", 3);

  rig.connection->deliver("dots/v1/gw1/ack", std::string_view("garbage"));
  CHECK(rig.uplink->counters().acks_rejected == 1);
  // Well-formed and naming both batches, but signed by someone without the key.
  seal::Key forger = seal::deriveKey(seal::randomKey(), seal::Purpose::kAck, "gw1", 3);
  rig.connection->deliver("dots/v1/gw1/ack",
                          codec::encodeAck(forger, "gw1", 3, {{{run, epoch, 0, 1}}, {}}));
  CHECK(rig.uplink->counters().acks_rejected == 2);
  // Signed with the right key for another gateway.
  seal::Key gw2_key = seal::deriveKey(kKey, seal::Purpose::kAck, "gw2", 3);
  rig.connection->deliver("dots/v1/gw1/ack",
                          codec::encodeAck(gw2_key, "gw2", 3, {{{run, epoch, 0, 1}}, {}}));
  CHECK(rig.uplink->counters().acks_rejected == 3);
  CHECK_FALSE(rig.uplink->hasWork());
  rig.uplink->service(now + 1ms);
  CHECK(rig.uplink->spool().batches() == 2);

  // Authentic, but naming a seq this run never sealed: the whole ack is dropped.
  rig.connection->deliver("dots/v1/gw1/ack",
                          codec::encodeAck(ack_key, "gw1", 3, {{{run, epoch, 0, 7}}, {}}));
  rig.uplink->service(now + 2ms);
  CHECK(rig.uplink->counters().acks_unknown_seq == 1);
  CHECK(rig.uplink->spool().batches() == 2);
  // Authentic for another run's batch of the same (epoch, seq): nothing of this run goes.
  rig.connection->deliver("dots/v1/gw1/ack",
                          codec::encodeAck(ack_key, "gw1", 3, {{{run + 1, epoch, 0, 1}}, {}}));
  rig.uplink->service(now + 3ms);
  CHECK(rig.uplink->spool().batches() == 2);

  int wakes = rig.wakes;
  rig.connection->deliver("dots/v1/gw1/ack",
                          codec::encodeAck(ack_key, "gw1", 3, {{{run, epoch, 1, 1}}, {}}));
  CHECK(rig.wakes == wakes + 1);
  rig.uplink->service(now + 4ms);
  CHECK(rig.uplink->spool().batches() == 1);
  CHECK(rig.uplink->counters().readings_acked == 5);
  CHECK(rig.uplink->inflight() == 1);

  // Dead-lettered by the ingester: dropped and counted as rejected, not as acked.
  rig.connection->deliver("dots/v1/gw1/ack",
                          codec::encodeAck(ack_key, "gw1", 3, {{}, {{run, epoch, 0, 0}}}));
  rig.uplink->service(now + 5ms);
  CHECK(rig.uplink->spool().batches() == 0);
  CHECK(rig.uplink->counters().readings_rejected == 4);
  CHECK(rig.uplink->counters().readings_acked == 5);
}

TEST_CASE("uplink: status is published retained on the status topic") {
  Rig rig;
  rig.uplink->start();
  rig.connection->connect();
  rig.uplink->publishStatus(R"({"state":"online"})");
  auto sent = rig.connection->takePublished();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].topic == "dots/v1/gw1/status");
  CHECK(sent[0].retained);
  CHECK(std::string(sent[0].payload.begin(), sent[0].payload.end()) == R"({"state":"online"})");
  rig.uplink->stop();
  CHECK(rig.connection->stopped());
}
