#include "registry/registry.h"

#include <doctest/doctest.h>

#include "unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;

TEST_CASE("registry: accounts and endpoints with their keys") {
  test::TempDir dir;
  auto reg = Registry::open(dir.str());
  REQUIRE(reg.has_value());
  REQUIRE(reg->addAccount("acme").has_value());
  auto again = reg->addAccount("acme");
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().reason == "exists");
  CHECK(reg->addAccount("bad name").error().reason == "bad-name");

  auto ep = reg->addEndpoint("acme", "gw-1");
  REQUIRE(ep.has_value());
  CHECK(ep->active_key_id == 1);
  REQUIRE(ep->keys.count(1) == 1);
  CHECK(reg->addEndpoint("acme", "gw-1").error().reason == "exists");
  CHECK(reg->addEndpoint("nobody", "gw-2").error().reason == "no-such-account");
  CHECK(reg->addEndpoint("acme", "gw/2").error().reason == "bad-gateway-id");
  auto ep2 = reg->addEndpoint("acme", "gw-2");
  REQUIRE(ep2.has_value());
  CHECK(ep2->keys.at(1) != ep->keys.at(1));

  auto found = reg->endpoint("gw-1");
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->account == "acme");
  CHECK((*found)->keys.at(1) == ep->keys.at(1));
  CHECK((*found)->enabled);
  CHECK_FALSE(reg->endpoint("gw-9")->has_value());
  CHECK(reg->endpoints()->size() == 2);
}

TEST_CASE("registry: another connection's change moves data_version") {
  test::TempDir dir;
  auto reader = Registry::open(dir.str());
  auto writer = Registry::open(dir.str());
  REQUIRE(reader.has_value());
  REQUIRE(writer.has_value());
  auto v1 = reader->dataVersion();
  REQUIRE(writer->addAccount("a").has_value());
  auto v2 = reader->dataVersion();
  CHECK(*v1 != *v2);
  REQUIRE(writer->addEndpoint("a", "g").has_value());
  REQUIRE(writer->setEnabled("g", false).has_value());
  CHECK_FALSE((*reader->endpoint("g"))->enabled);
  CHECK(writer->setEnabled("zz", true).error().reason == "no-such-endpoint");
}
