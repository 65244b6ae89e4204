#include "cloud/registry/registry.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <map>

#include "shared/sqlite/database.h"
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

TEST_CASE("registry: keys sealed under a KEK open only with it, bound to gateway and key id") {
  test::TempDir dir;
  RegistryOptions with_kek;
  with_kek.kek = seal::randomKey();
  std::map<std::string, seal::Key> keys;
  {
    auto reg = Registry::open(dir.str(), with_kek);
    REQUIRE(reg.has_value());
    REQUIRE((*reg)->addAccount("acme").has_value());
    for (const char* gw : {"gw-1", "gw-2"}) {
      auto ep = (*reg)->addEndpoint("acme", gw);
      REQUIRE(ep.has_value());
      keys[gw] = ep->keys.at(1);
    }
    auto rotated = (*reg)->rotateKey("gw-1");
    REQUIRE(rotated.has_value());
    keys["gw-1/2"] = rotated->keys.at(2);
  }
  auto reg = Registry::open(dir.str(), with_kek);
  REQUIRE(reg.has_value());
  auto gw1 = (*reg)->endpoint("gw-1").value();
  REQUIRE(gw1.has_value());
  CHECK(gw1->keys.at(1) == keys["gw-1"]);
  CHECK(gw1->keys.at(2) == keys["gw-1/2"]);

  // Without the KEK, or with another: refused at open, with the reason.
  auto without = Registry::open(dir.str());
  REQUIRE_FALSE(without.has_value());
  CHECK(without.error().reason == "kek-required");
  RegistryOptions other;
  other.kek = seal::randomKey();
  auto wrong = Registry::open(dir.str(), other);
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().reason == "kek-mismatch");

  // A sealed key copied onto another gateway's row (or key id) does not open there: the AAD
  // binds both, so that gateway simply has no usable key.
  {
    auto db = sqlite::Database::open(dir.file("registry.db")).value();
    REQUIRE(db.exec("UPDATE endpoint_keys SET key = (SELECT key FROM endpoint_keys WHERE "
                    "gateway = 'gw-1' AND key_id = 1) WHERE gateway = 'gw-2'")
                .has_value());
    REQUIRE(db.exec("UPDATE endpoint_keys SET key = (SELECT key FROM endpoint_keys WHERE "
                    "gateway = 'gw-1' AND key_id = 1) WHERE gateway = 'gw-1' AND key_id = 2")
                .has_value());
  }
  auto gw2 = (*reg)->endpoint("gw-2").value();
  REQUIRE(gw2.has_value());
  CHECK(gw2->keys.empty());
  gw1 = (*reg)->endpoint("gw-1").value();
  CHECK(gw1->keys.size() == 1);
  CHECK(gw1->keys.at(1) == keys["gw-1"]);
}

TEST_CASE("registry: encryptKeys seals plaintext keys, which a KEK alone does not open") {
  test::TempDir dir;
  seal::Key key{};
  {
    auto reg = Registry::open(dir.str());
    REQUIRE(reg.has_value());
    REQUIRE((*reg)->addAccount("acme").has_value());
    key = (*reg)->addEndpoint("acme", "gw-1").value().keys.at(1);
  }
  RegistryOptions with_kek;
  with_kek.kek = seal::randomKey();
  auto refused = Registry::open(dir.str(), with_kek);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().reason == "keys-not-encrypted");
  {
    // Without a KEK, encryptKeys has nothing to seal with.
    auto plain = Registry::open(dir.str()).value();
    CHECK(plain->encryptKeys().error().reason == "no-kek");
  }
  RegistryOptions migrating = with_kek;
  migrating.allow_plaintext_keys = true;
  {
    auto reg = Registry::open(dir.str(), migrating).value();
    auto done = reg->encryptKeys();
    REQUIRE(done.has_value());
    CHECK(done->sealed == 1);
    CHECK(done->scrubbed);
    // Nothing left to seal the second time.
    CHECK(reg->encryptKeys().value().sealed == 0);
  }
  auto reg = Registry::open(dir.str(), with_kek);
  REQUIRE(reg.has_value());
  CHECK((*reg)->endpoint("gw-1").value()->keys.at(1) == key);
  std::ifstream in(dir.file("registry.db"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(bytes.find(std::string(key.begin(), key.end())) == std::string::npos);
  CHECK(Registry::open(dir.str()).error().reason == "kek-required");
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

  REQUIRE(
      reg->addStream("s1", "a", "hooks", "tcp://h.example:1883", "#", StreamLimits{4096, 2.5, 7}));
  REQUIRE(reg->addStream("s2", "a", "hooks", "tcp://h.example:1883", "#"));
  CHECK(reg->addStream("s3", "a", "hooks", "tcp://h.example:1883", "#", StreamLimits{0, 1, 1})
            .error()
            .reason == "bad-limit");
  CHECK(reg->addStream("s3", "a", "hooks", "tcp://h.example:1883", "#", StreamLimits{1, 0, 1})
            .error()
            .reason == "bad-limit");
  CHECK(reg->addStream("s3", "a", "hooks", "tcp://h.example:1883", "#", StreamLimits{1, 1, 0})
            .error()
            .reason == "bad-limit");
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

TEST_CASE(
    "registry: stream passwords and webhook secrets are sealed under the KEK, bound to their row") {
  test::TempDir dir;
  const std::string password = "stream-password-0123456789";
  const std::string secret = "webhook-secret-9876543210";
  auto bytesOfRegistry = [&] {
    std::ifstream in(dir.file("registry.db"), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  {
    // Plaintext first, as a registry made without a KEK keeps them.
    auto reg = Registry::open(dir.str()).value();
    REQUIRE(reg->addAccount("a"));
    REQUIRE(
        reg->addChannel("a", "hooks", "default", {"notify"}, {{"https://h.example/x", secret}}));
    REQUIRE(reg->addStream("s1", "a", "hooks", "tcp://h.example:1883", "#",
                           StreamAuth{"user", password, "", "", ""}));
  }
  RegistryOptions with_kek;
  with_kek.kek = seal::randomKey();
  with_kek.allow_plaintext_keys = true;
  {
    auto reg = Registry::open(dir.str(), with_kek).value();
    auto done = reg->encryptKeys();
    REQUIRE(done.has_value());
    CHECK(done->secrets == 2);
    CHECK(reg->encryptKeys()->secrets == 0);
    // Added under the KEK: sealed from the start.
    REQUIRE(reg->addStream("s2", "a", "hooks", "tcp://h.example:1883", "#",
                           StreamAuth{"user", password + "-2", "", "", ""}));
  }
  std::string bytes = bytesOfRegistry();
  CHECK(bytes.find(password) == std::string::npos);
  CHECK(bytes.find(secret) == std::string::npos);

  with_kek.allow_plaintext_keys = false;
  auto reg = Registry::open(dir.str(), with_kek).value();
  auto streams = reg->streams().value();
  REQUIRE(streams.size() == 2);
  CHECK(streams[0].auth.password == password);
  CHECK(streams[1].auth.password == password + "-2");
  CHECK(reg->channels().value()[0].webhook_secrets.at("https://h.example/x") == secret);
  // A sealed password moved to another stream's row does not open there.
  {
    auto db = sqlite::Database::open(dir.file("registry.db")).value();
    REQUIRE(db.exec("UPDATE streams SET password = (SELECT password FROM streams WHERE "
                    "name = 's1') WHERE name = 's2'")
                .has_value());
  }
  streams = reg->streams().value();
  CHECK(streams[0].auth.password == password);
  CHECK(streams[1].auth.password.empty());
}

TEST_CASE(
    "registry: a connection opened before the registry was sealed writes no secret in plain") {
  test::TempDir dir;
  auto plain = Registry::open(dir.str()).value();
  REQUIRE(plain->addAccount("a"));
  REQUIRE(plain->addChannel("a", "hooks", "default", {"notify"}));
  RegistryOptions with_kek;
  with_kek.kek = seal::randomKey();
  with_kek.allow_plaintext_keys = true;
  REQUIRE(Registry::open(dir.str(), with_kek).value()->encryptKeys());
  auto refused = plain->addStream("s1", "a", "hooks", "tcp://h.example:1883", "#",
                                  StreamAuth{"user", "a-password", "", "", ""});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().reason == "kek-required");
  // Without a secret there is nothing to seal.
  CHECK(plain->addStream("s2", "a", "hooks", "tcp://h.example:1883", "#").has_value());
}
