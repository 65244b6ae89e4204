#include "config/gateway_config.h"

#include <doctest/doctest.h>

#include <fstream>

#include "config/toml_file.h"
#include "unit/temp_dir.h"

using namespace dots;

namespace {
const std::string kKey = std::string(64, 'a');

std::string write(const test::TempDir& dir, const std::string& text) {
  std::string path = dir.file("gateway.toml");
  std::ofstream(path) << text;
  return path;
}

std::string errorOf(const std::string& path) {
  try {
    gateway::loadGatewayConfig(path);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("gateway config: minimal file gets documented defaults") {
  test::TempDir dir;
  auto path = write(dir, "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey + "\"\n");
  auto c = gateway::loadGatewayConfig(path);
  CHECK(c.id == "gw1");
  CHECK(c.client_id == "dots-gw-gw1");
  CHECK(c.local_client_id == "dots-gw-gw1-local");
  CHECK(c.linger.count() == 50);
  CHECK(c.topics == std::vector<std::string>{"sensors/#"});
  CHECK(c.spool.policy == gateway::SpoolPolicy::kDropOldest);
  CHECK(c.key[0] == 0xaa);
}

TEST_CASE("gateway config: bad values name file, line and key") {
  test::TempDir dir;
  auto path = write(dir, "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"abc\"\n");
  CHECK(errorOf(path) == path +
                             ":5: key 'uplink.key': must be 64 hex digits (a 256-bit key from "
                             "`dotsctl endpoint add`)");
  path = write(dir, "[gateway]\nid = \"gw 1\"\n");
  CHECK(errorOf(path).starts_with(path + ":2: key 'gateway.id'"));
  path = write(dir, "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey +
                        "\"\n[batch]\nlinger = 5\n");
  CHECK(errorOf(path) == path + ":7: unknown key 'batch.linger'");
  path = write(dir, "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey +
                        "\"\nbroker = \"http://x\"\n");
  CHECK(errorOf(path).starts_with(path + ":6: key 'uplink.broker'"));
  CHECK(errorOf(dir.file("missing.toml")) == dir.file("missing.toml") + ": cannot read the file");
}
