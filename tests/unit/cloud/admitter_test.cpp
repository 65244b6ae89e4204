#include "cloud/ingest/admitter.h"

#include <doctest/doctest.h>

#include "shared/codec/batch_codec.h"
#include "tests/support/sealing.h"

using namespace dots;
using namespace dots::cloud;

namespace {

const seal::Key kKey = seal::randomKey();
const seal::Key kOtherKey = seal::randomKey();

Batch twoReadings() {
  Batch batch;
  batch.readings.push_back({"t", "Cel", 1000, ValueKind::kNumber, 21.5, "", {}});
  batch.readings.push_back({"t", "Cel", 2000, ValueKind::kNumber, 22.0, "", {}});
  return batch;
}

std::vector<std::uint8_t> sealed(const std::string& gateway, std::uint32_t key_id,
                                 const seal::Key& key, std::uint64_t seq = 7,
                                 std::uint64_t run = 0x77) {
  return test::sealAsGateway(key, gateway, key_id, run, 3, seq, twoReadings());
}

// gw-1 served here (environment "east") with key 1; gw-2 served by another environment;
// gw-3 disabled; gw-4 known but without a route.
std::shared_ptr<const AdmissionTable> table() {
  auto t = std::make_shared<AdmissionTable>();
  for (const char* gw : {"gw-1", "gw-2", "gw-3", "gw-4"}) {
    Endpoint ep;
    ep.gateway = gw;
    ep.account = "acme";
    ep.keys[1] = kKey;
    ep.enabled = std::string(gw) != "gw-3";
    t->endpoints.emplace(gw, ep);
  }
  t->served_by = {{"gw-1", "east"}, {"gw-2", "west"}, {"gw-3", "east"}, {"gw-4", "east"}};
  t->routed = {"gw-1", "gw-2", "gw-3"};
  return t;
}

std::string reasonOf(Admitter& admitter, const std::shared_ptr<const AdmissionTable>& t,
                     const std::string& topic, const std::vector<std::uint8_t>& payload) {
  auto r = admitter.admit(t, topic, payload);
  return r ? "admitted" : r.error().reason;
}

}  // namespace

TEST_CASE("admitter: a batch of a known, enabled, routed gateway is opened and decoded") {
  Admitter admitter("east");
  auto r = admitter.admit(table(), "dots/v1/gw-1/up", sealed("gw-1", 1, kKey, 42));
  REQUIRE(r.has_value());
  CHECK(r->gateway == "gw-1");
  CHECK(r->account == "acme");
  CHECK(r->id == codec::BatchId{0x77, 3, 42});
  CHECK_FALSE(r->refused);
  REQUIRE(r->ack_key);
  CHECK(*r->ack_key == seal::deriveKey(kKey, seal::Purpose::kAck, "gw-1", 1));
  REQUIRE(r->batch.readings.size() == 2);
  CHECK(r->batch.readings[1].value == 22.0);
}

TEST_CASE("admitter: each check rejects with its own reason") {
  Admitter admitter("east");
  auto t = table();
  CHECK(reasonOf(admitter, nullptr, "dots/v1/gw-1/up", sealed("gw-1", 1, kKey)) == "unrouted");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-1/down", sealed("gw-1", 1, kKey)) == "bad-topic");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-9/up", sealed("gw-9", 1, kKey)) == "unknown-gateway");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-2/up", sealed("gw-2", 1, kKey)) == "other-environment");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-3/up", sealed("gw-3", 1, kKey)) == "disabled-endpoint");
  // Sealed by gw-1 but published on gw-4's topic: the AAD names gw-1.
  CHECK(reasonOf(admitter, t, "dots/v1/gw-4/up", sealed("gw-1", 1, kKey)) == "gateway-mismatch");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-1/up", sealed("gw-1", 2, kKey)) == "unknown-key");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-1/up", sealed("gw-1", 1, kOtherKey)) == "bad-tag");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-1/up", {1, 2, 3}) == "malformed");
  // Opened (so it is not forged) but not acknowledged while no route exists.
  CHECK(reasonOf(admitter, t, "dots/v1/gw-4/up", sealed("gw-4", 1, kKey)) == "unrouted");
  CHECK(reasonOf(admitter, t, "dots/v1/gw-1/up", sealed("gw-1", 1, kKey)) == "admitted");
}

TEST_CASE("admitter: a new table's keys replace the cached ciphers") {
  Admitter admitter("east");
  auto t = table();
  REQUIRE(admitter.admit(t, "dots/v1/gw-1/up", sealed("gw-1", 1, kKey)));
  // The key of gw-1 is rotated under the same key id (a re-provisioned endpoint).
  auto rotated = std::make_shared<AdmissionTable>(*t);
  rotated->endpoints["gw-1"].keys[1] = kOtherKey;
  CHECK(reasonOf(admitter, rotated, "dots/v1/gw-1/up", sealed("gw-1", 1, kKey)) == "bad-tag");
  CHECK(reasonOf(admitter, rotated, "dots/v1/gw-1/up", sealed("gw-1", 1, kOtherKey)) == "admitted");
}

TEST_CASE(
    "admitter: each run opens under its own key, a batch sealed with the endpoint key fails") {
  Admitter admitter("east");
  auto t = table();
  for (std::uint64_t run : {1ull, 2ull, 3ull, 4ull, 5ull, 6ull, 1ull}) {
    CAPTURE(run);
    CHECK(reasonOf(admitter, t, "dots/v1/gw-1/up", sealed("gw-1", 1, kKey, 7, run)) == "admitted");
  }
  seal::AesGcm raw(kKey);
  auto raw_sealed =
      seal::sealEnvelope(raw, {"gw-1", 1, 3, 7, 9}, codec::encodeBatch(twoReadings()), true);
  CHECK(reasonOf(admitter, t, "dots/v1/gw-1/up", raw_sealed) == "bad-tag");
  // Same key, seal of two different batches: different digests.
  auto a = admitter.admit(t, "dots/v1/gw-1/up", sealed("gw-1", 1, kKey, 7, 1));
  Batch other = twoReadings();
  other.readings[0].value = 99;
  auto b =
      admitter.admit(t, "dots/v1/gw-1/up", test::sealAsGateway(kKey, "gw-1", 1, 1, 3, 7, other));
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->id == b->id);
  CHECK(a->digest != b->digest);
}

TEST_CASE("admitter: an authentic batch beyond a bound comes back refused, not thrown") {
  Admitter admitter("east");
  Batch poison;
  std::string long_name(64 * 1024, 'n');
  for (int i = 0; i < 1000; ++i)
    poison.readings.push_back({long_name, "", 1000 + i, ValueKind::kNumber, 1, "", {}});
  auto r = admitter.admit(table(), "dots/v1/gw-1/up",
                          test::sealAsGateway(kKey, "gw-1", 1, 5, 3, 1, poison));
  REQUIRE(r.has_value());
  REQUIRE(r->refused);
  CHECK(r->refused->reason == "oversize");
  CHECK(r->batch.readings.empty());
}
