#include "gateway/uplink/delivery.h"

#include <doctest/doctest.h>

#include <chrono>
#include <numeric>

#include "tests/support/fake_connection.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::gateway;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kEpoch = 7;
constexpr std::uint32_t kReadings = 10;  // per batch
const std::string kTopic = "dots/v1/gw1/up";
const Delivery::TimePoint t0{std::chrono::hours(1)};

// A spool, a connected fake and a Delivery over them. Each batch's payload is its seq, so a
// publish tells which batch it carried.
struct Rig {
  explicit Rig(DeliveryOptions options)
      : spool(open(dir)), delivery(options, kTopic, spool, connection, counters) {
    connection.connect();
  }

  static Spool open(const test::TempDir& dir) {
    auto s =
        Spool::open({dir.file("spool.db"), 1 << 24, SpoolPolicy::kDropOldest, SpoolSync::kNormal});
    REQUIRE(s.has_value());
    return std::move(*s);
  }
  void append(std::uint64_t first, std::uint64_t count) {
    for (std::uint64_t seq = first; seq < first + count; ++seq) {
      std::vector<std::uint8_t> payload(8);
      for (int i = 0; i < 8; ++i) payload[i] = static_cast<std::uint8_t>(seq >> (8 * i));
      REQUIRE(spool.append(kEpoch, seq, kReadings, payload, 1000)->stored);
    }
  }
  // The seqs published since the last call, in order.
  std::vector<std::uint64_t> sent() {
    std::vector<std::uint64_t> seqs;
    for (const auto& p : connection.takePublished()) {
      CHECK(p.topic == kTopic);
      CHECK(p.qos == 1);
      std::uint64_t seq = 0;
      for (int i = 0; i < 8; ++i) seq |= std::uint64_t{p.payload[i]} << (8 * i);
      seqs.push_back(seq);
    }
    return seqs;
  }
  // A fresh connection with `n` batches spooled after it, all sent at t0.
  void sendFirst(std::uint64_t n) {
    delivery.restart(t0);
    append(0, n);
    delivery.service(t0);
    std::vector<std::uint64_t> all(n);
    std::iota(all.begin(), all.end(), 0);
    REQUIRE(sent() == all);
  }
  bool held(std::uint64_t seq) {
    auto all = spool.after(0, 1000);
    REQUIRE(all.has_value());
    for (const auto& e : *all) {
      if (e.seq == seq) return true;
    }
    return false;
  }

  test::TempDir dir;
  Spool spool;
  test::FakeConnection connection;
  UplinkCounters counters;
  Delivery delivery;
};

using Seqs = std::vector<std::uint64_t>;
}  // namespace

TEST_CASE("delivery: never more than max_inflight live batches unacknowledged") {
  Rig rig({5s, 4, 1000});
  rig.delivery.restart(t0);
  rig.append(0, 10);
  rig.delivery.service(t0);
  CHECK(rig.sent() == Seqs{0, 1, 2, 3});
  CHECK(rig.delivery.inflight() == 4);
  rig.delivery.service(t0 + 1s);
  CHECK(rig.sent().empty());

  rig.delivery.applyAck({{{0, kEpoch, 0, 1}}, {}});
  rig.delivery.service(t0 + 2s);
  CHECK(rig.sent() == Seqs{4, 5});
  CHECK(rig.delivery.inflight() == 4);
  CHECK(rig.counters.batches_sent == 6);
  CHECK(rig.delivery.backlogBatches() == 0);
}

TEST_CASE("delivery: nothing is sent while disconnected") {
  Rig rig({5s, 4, 1000});
  rig.delivery.restart(t0);
  rig.append(0, 2);
  rig.connection.drop();
  rig.delivery.service(t0);
  CHECK(rig.connection.published().empty());
  CHECK(rig.delivery.inflight() == 0);
}

TEST_CASE("delivery: a batch unacknowledged after ack_timeout is sent again") {
  Rig rig({1000ms, 4, 1000});
  rig.sendFirst(2);
  rig.delivery.service(t0 + 999ms);
  CHECK(rig.sent().empty());
  rig.delivery.service(t0 + 1000ms);
  CHECK(rig.sent() == Seqs{0, 1});
  CHECK(rig.counters.batches_resent == 2);

  rig.delivery.applyAck({{{0, kEpoch, 0, 0}}, {}});
  rig.delivery.service(t0 + 1999ms);
  CHECK(rig.sent().empty());  // the timeout counts from the last send
  rig.delivery.service(t0 + 2000ms);
  CHECK(rig.sent() == Seqs{1});
  CHECK(rig.counters.batches_resent == 3);
  CHECK(rig.counters.batches_sent == 2);  // resends are not first sends
}

TEST_CASE("delivery: a failed publish is retried on the next service") {
  Rig rig({5s, 4, 1000});
  rig.delivery.restart(t0);
  rig.append(0, 2);
  rig.connection.failPublishes("busy");
  rig.delivery.service(t0);
  CHECK(rig.delivery.inflight() == 0);
  rig.connection.failPublishes(std::nullopt);
  rig.delivery.service(t0 + 1ms);
  CHECK(rig.sent() == Seqs{0, 1});
}

TEST_CASE("delivery: a reconnect sends what was in flight again") {
  Rig rig({5s, 4, 1000000});
  rig.sendFirst(3);
  rig.delivery.restart(t0 + 1s);  // all three are the backlog now
  CHECK(rig.delivery.inflight() == 0);
  CHECK(rig.delivery.backfilling());
  rig.delivery.service(t0 + 2s);
  CHECK(rig.sent() == Seqs{0, 1});  // half the window of 4
  CHECK(rig.delivery.backlogBatches() == 2);
}

TEST_CASE("delivery: acks delete exactly the acknowledged batches") {
  Rig rig({1000ms, 8, 1000});
  rig.sendFirst(6);

  rig.delivery.applyAck(
      {{{0, kEpoch, 1, 2}, {0, kEpoch, 4, 4}, {0, kEpoch + 1, 0, 5}, {0, kEpoch, 9, 20}}, {}});
  CHECK(rig.counters.batches_acked == 3);
  CHECK(rig.counters.readings_acked == 3 * kReadings);
  CHECK(rig.spool.batches() == 3);
  for (std::uint64_t seq : {0, 3, 5}) CHECK(rig.held(seq));
  for (std::uint64_t seq : {1, 2, 4}) CHECK_FALSE(rig.held(seq));
  CHECK(rig.delivery.inflight() == 3);

  rig.delivery.service(t0 + 1000ms);
  CHECK(rig.sent() == Seqs{0, 3, 5});  // only the unacknowledged ones come again
}

TEST_CASE("delivery: the backlog uses at most half the window, live batches go first") {
  Rig rig({60s, 4, 1000000});
  rig.append(0, 10);  // in the spool at the (re)connect: the backlog
  rig.delivery.restart(t0);
  rig.append(100, 5);  // live
  rig.delivery.service(t0 + 1s);
  CHECK(rig.sent() == Seqs{100, 101, 102, 103, 0, 1});
  CHECK(rig.delivery.backlogBatches() == 2);
  CHECK(rig.delivery.inflight() == 6);

  rig.delivery.applyAck({{{0, kEpoch, 100, 102}}, {}});
  rig.delivery.service(t0 + 2s);
  CHECK(rig.sent() == Seqs{104});  // the backlog holds its half: no third backlog batch
  CHECK(rig.delivery.backlogBatches() == 2);
  rig.delivery.applyAck({{{0, kEpoch, 0, 0}}, {}});
  rig.delivery.service(t0 + 3s);
  CHECK(rig.sent() == Seqs{2});  // the freed backlog place
  CHECK(rig.counters.batches_backfilled == 3);
}

TEST_CASE("delivery: the backlog is paced at backfill_readings_per_s") {
  // 10 readings/s, 10 readings a batch: about one backlog batch a second, however large the
  // window; live batches are not held back by the pace.
  Rig rig({600s, 64, 10});
  rig.append(0, 20);
  rig.delivery.restart(t0);
  rig.delivery.service(t0);
  CHECK(rig.sent().empty());  // no readings banked at the reconnect

  std::size_t backlog = 0;
  for (int tick = 1; tick <= 50; ++tick) {  // 5 s in steps of 100 ms
    if (tick == 25) rig.append(100, 3);
    rig.delivery.service(t0 + tick * 100ms);
    for (std::uint64_t seq : rig.sent()) {
      if (seq >= 100) {
        CHECK(tick == 25);  // live batches leave at once
      } else {
        ++backlog;
      }
    }
  }
  // rate x 5 s = 50 readings; at most one batch more than the rate allows.
  CHECK(backlog * kReadings >= 40);
  CHECK(backlog * kReadings <= 60);
  CHECK(rig.delivery.backfilling());
  CHECK(rig.counters.batches_sent == backlog + 3);
}
