#include "gateway/uplink/sealer.h"

#include <doctest/doctest.h>

#include "shared/codec/batch_codec.h"
#include "shared/seal/keys.h"

using namespace dots;
using namespace dots::gateway;

TEST_CASE("sealer: seals under (run, epoch, seq) with the run's key, seq from 0 in each run") {
  seal::Key key{};
  key.fill(7);
  Sealer sealer({"gw-9", 4, key, false});
  sealer.beginRun(0xabcdef, 41);
  Batch batch;
  batch.readings.resize(3);
  batch.readings[0].name = "a";
  batch.readings[1].name = "b";
  batch.readings[2].name = "c";
  batch.historical = true;

  SealedBatch first = sealer.seal(batch);
  SealedBatch second = sealer.seal(batch);
  CHECK(first.epoch == 41);
  CHECK(first.seq == 0);
  CHECK(second.seq == 1);
  CHECK(first.readings == 3);
  CHECK(first.envelope != second.envelope);  // another nonce

  auto view = seal::readEnvelope(second.envelope);
  REQUIRE(view.has_value());
  CHECK(view->header.gateway == "gw-9");
  CHECK(view->header.key_id == 4);
  CHECK(view->header.epoch == 41);
  CHECK(view->header.seq == 1);
  CHECK(view->header.run == 0xabcdef);
  CHECK(first.run == 0xabcdef);
  CHECK_FALSE(view->compressed);
  // Not under the endpoint key itself, nor under another run's key.
  seal::AesGcm endpoint(key);
  CHECK(seal::openEnvelope(endpoint, *view).error().reason == "bad-tag");
  seal::AesGcm other_run(seal::deriveKey(key, seal::Purpose::kUplinkSeal, "gw-9", 4, 0xabcdee));
  CHECK(seal::openEnvelope(other_run, *view).error().reason == "bad-tag");
  seal::AesGcm gcm(seal::deriveKey(key, seal::Purpose::kUplinkSeal, "gw-9", 4, 0xabcdef));
  auto plain = seal::openEnvelope(gcm, *view);
  REQUIRE(plain.has_value());
  auto decoded = codec::decodeBatch(*plain);
  REQUIRE(decoded.has_value());
  CHECK(decoded->historical);
  CHECK(decoded->readings == batch.readings);

  // A new run with the same epoch and seq (a lost spool, a clock back at its start): another key,
  // so the same nonce never seals two plaintexts under one key.
  sealer.beginRun(0x123456, 41);
  SealedBatch next = sealer.seal(batch);
  CHECK(next.epoch == 41);
  CHECK(next.seq == 0);
  auto next_view = seal::readEnvelope(next.envelope);
  REQUIRE(next_view.has_value());
  CHECK(next_view->nonce.size() == seal::kNonceBytes);
  CHECK(std::ranges::equal(next_view->nonce, seal::readEnvelope(first.envelope)->nonce));
  CHECK_FALSE(seal::openEnvelope(gcm, *next_view).has_value());
}
