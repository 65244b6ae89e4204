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

TEST_CASE("registry: stream limits, webhook secrets and the destination allow-list") {
  test::TempDir dir;
  auto reg = openRegistry(dir.str());
  REQUIRE(reg != nullptr);
  REQUIRE(reg->addAccount("a"));
  REQUIRE(reg->addChannel("a", "hooks", "default", {"threshold:above=1", "notify"},
                          {{"https://h.example/x", "00ff"}}));
  auto channels = reg->channels();
  REQUIRE(channels);
  REQUIRE(channels->size() == 1);
  CHECK((*channels)[0].webhook_secrets.at("https://h.example/x") == "00ff");

  REQUIRE(reg->addStream("s1", "a", "hooks", "tcp://h.example:1883", "#", {4096, 2.5, 7}));
  REQUIRE(reg->addStream("s2", "a", "hooks", "tcp://h.example:1883", "#"));
  CHECK(reg->addStream("s3", "a", "hooks", "tcp://h.example:1883", "#", {0, 1, 1}).error().reason ==
        "bad-limit");
  CHECK(reg->addStream("s3", "a", "hooks", "tcp://h.example:1883", "#", {1, 0, 1}).error().reason ==
        "bad-limit");
  CHECK(reg->addStream("s3", "a", "hooks", "tcp://h.example:1883", "#", {1, 1, 0}).error().reason ==
        "bad-limit");
  auto streams = reg->streams();
  REQUIRE(streams);
  REQUIRE(streams->size() == 2);
  CHECK((*streams)[0].limits.max_message_bytes == 4096);
  CHECK((*streams)[0].limits.rate_per_s == 2.5);
  CHECK((*streams)[0].limits.queue == 7);
  CHECK((*streams)[1].limits.max_message_bytes == StreamLimits{}.max_message_bytes);

  CHECK(*reg->allowDestination("127.0.0.1/8") == "127.0.0.0/8");
  CHECK(reg->allowDestination("127.0.0.0/8").error().reason == "exists");
  CHECK(reg->allowDestination("nonsense").error().reason == "bad-cidr");
  REQUIRE(reg->allowDestination("fd00::/8"));
  CHECK(*reg->allowedDestinations() == std::vector<std::string>{"127.0.0.0/8", "fd00::/8"});
  REQUIRE(reg->removeAllowedDestination("127.0.0.0/8"));
  CHECK(reg->removeAllowedDestination("127.0.0.0/8").error().reason == "no-such-destination");
  CHECK(*reg->allowedDestinations() == std::vector<std::string>{"fd00::/8"});
}
