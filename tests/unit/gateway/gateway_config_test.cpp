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

TEST_CASE("gateway config: reduce rules, validated with their index") {
  test::TempDir dir;
  std::string head = "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey + "\"\n";
  auto path = write(dir, head +
                             "[[reduce]]\nsensors = \"b/*\"\nmode = \"deadband\"\nthreshold = 0.5\n"
                             "[[reduce]]\nsensors = \"m/*\"\nmode = \"summary\"\nwindow_s = 30\n");
  auto c = gateway::loadGatewayConfig(path);
  REQUIRE(c.reduce.size() == 2);
  CHECK(c.reduce[0].mode == gateway::ReduceMode::kDeadband);
  CHECK(c.reduce[0].threshold == 0.5);
  CHECK(c.reduce[0].heartbeat.count() == 300);
  CHECK(c.reduce[1].mode == gateway::ReduceMode::kSummary);
  CHECK(c.reduce[1].window.count() == 30);

  path = write(dir, head + "[[reduce]]\nsensors = \"b/*\"\nmode = \"deadband\"\n");
  CHECK(errorOf(path) == path + ": missing required key 'reduce[0].threshold'");
  path = write(dir, head + "[[reduce]]\nsensors = \"b/*\"\nmode = \"sumary\"\n");
  CHECK(errorOf(path).starts_with(path + ":8: key 'reduce[0].mode': must be one of"));
  path = write(dir, head + "[[reduce]]\nsensors = \"b/*\"\nwindow = 3\n");
  CHECK(errorOf(path) == path + ":8: unknown key 'reduce[0].window'");
}
