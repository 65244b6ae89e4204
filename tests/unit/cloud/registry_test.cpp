#include "cloud/registry/registry.h"

#include <doctest/doctest.h>

#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;

namespace {
// The registry behind the interface, as dotsctl and dots-ingest open it; null when it failed.
std::unique_ptr<Registry> openRegistry(const std::string& data_dir) {
  auto reg = Registry::open(data_dir);
  if (!reg) {
    FAIL_CHECK("cannot open the registry: " << reg.error().describe());
    return nullptr;
  }
  return std::move(*reg);
}
}  // namespace

TEST_CASE("registry: accounts and endpoints with their keys") {
  test::TempDir dir;
  auto reg = openRegistry(dir.str());
  REQUIRE(reg != nullptr);
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
  auto reader = openRegistry(dir.str());
  auto writer = openRegistry(dir.str());
  REQUIRE(reader != nullptr);
  REQUIRE(writer != nullptr);
  auto v1 = reader->dataVersion();
  REQUIRE(writer->addAccount("a").has_value());
  auto v2 = reader->dataVersion();
  CHECK(*v1 != *v2);
  REQUIRE(writer->addEndpoint("a", "g").has_value());
  REQUIRE(writer->setEnabled("g", false).has_value());
  CHECK_FALSE((*reader->endpoint("g"))->enabled);
  CHECK(writer->setEnabled("zz", true).error().reason == "no-such-endpoint");
}

TEST_CASE("registry: routes and the rules they follow") {
  test::TempDir dir;
  auto reg = openRegistry(dir.str());
  REQUIRE(reg != nullptr);
  REQUIRE(reg->addAccount("a").has_value());
  REQUIRE(reg->addAccount("b").has_value());
  REQUIRE(reg->addEndpoint("a", "gw").has_value());
  REQUIRE(reg->addChannel("a", "one", "default", {"store"}).has_value());
  REQUIRE(reg->addEnvironment("edge", "").has_value());
  REQUIRE(reg->addChannel("a", "far", "edge", {"store"}).has_value());
  REQUIRE(reg->addChannel("b", "theirs", "default", {"store"}).has_value());
  REQUIRE(reg->addRoute("gw", "a", "one", "*").has_value());
  CHECK(reg->addRoute("gw", "a", "one", "*").error().reason == "exists");
  CHECK(reg->addRoute("gw", "b", "theirs", "*").error().reason == "other-account");
  CHECK(reg->addRoute("gw", "a", "far", "*").error().reason == "environment-conflict");
  CHECK(reg->addRoute("gw", "a", "nope", "*").error().reason == "no-such-channel");
  CHECK(reg->removeRoute("gw", "a", "one", "x*").error().reason == "no-such-route");
  REQUIRE(reg->removeRoute("gw", "a", "one", "*").has_value());
  CHECK(reg->routes()->empty());
  // With its old route gone the endpoint may move to another environment.
  CHECK(reg->addRoute("gw", "a", "far", "*").has_value());
}
