#include "cloud/ingest/admitter.h"

#include <doctest/doctest.h>

#include "shared/codec/batch_codec.h"

using namespace dots;
using namespace dots::cloud;

namespace {

const seal::Key kKey = seal::randomKey();
const seal::Key kOtherKey = seal::randomKey();

std::vector<std::uint8_t> sealed(const std::string& gateway, std::uint32_t key_id,
                                 const seal::Key& key, std::uint64_t seq = 7) {
  Batch batch;
  batch.readings.push_back({"t", "Cel", 1000, ValueKind::kNumber, 21.5, "", {}});
  batch.readings.push_back({"t", "Cel", 2000, ValueKind::kNumber, 22.0, "", {}});
  seal::AesGcm gcm(key);
  return seal::sealEnvelope(gcm, {gateway, key_id, 3, seq}, codec::encodeBatch(batch), true);
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
  CHECK(r->epoch == 3);
  CHECK(r->seq == 42);
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
