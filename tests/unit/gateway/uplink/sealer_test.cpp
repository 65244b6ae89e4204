#include "gateway/uplink/sealer.h"

#include <doctest/doctest.h>

#include "shared/codec/batch_codec.h"

using namespace dots;
using namespace dots::gateway;

TEST_CASE("sealer: seals under (epoch, seq), seq counting from 0 in each epoch") {
  seal::Key key{};
  key.fill(7);
  Sealer sealer({"gw-9", 4, key, false});
  sealer.beginEpoch(41);
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
  CHECK_FALSE(view->compressed);
  seal::AesGcm gcm(key);
  auto plain = seal::openEnvelope(gcm, *view);
  REQUIRE(plain.has_value());
  auto decoded = codec::decodeBatch(*plain);
  REQUIRE(decoded.has_value());
  CHECK(decoded->historical);
  CHECK(decoded->readings == batch.readings);

  sealer.beginEpoch(42);
  SealedBatch next = sealer.seal(batch);
  CHECK(next.epoch == 42);
  CHECK(next.seq == 0);
}
