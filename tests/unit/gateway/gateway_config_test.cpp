#include "gateway/config/gateway_config.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "shared/config/toml_file.h"
#include "shared/text/hex.h"
#include "tests/unit/temp_dir.h"

using namespace dots;

namespace {
// Any key with entropy; keys with none are refused (see the test below).
const std::string kKey = "3f9c1a7e52d84b06e1c9aa3b7d20f5e8c46b19d0a7f3e25c88b4d6013e9f7a2c";

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
  REQUIRE(c.mqtt_inputs.size() == 1);
  CHECK(c.mqtt_inputs[0].client_id == "dots-gw-gw1-local");
  CHECK(c.linger.count() == 50);
  CHECK(c.mqtt_inputs[0].topics == std::vector<std::string>{"sensors/#"});
  CHECK(c.spool.policy == gateway::SpoolPolicy::kDropOldest);
  CHECK(c.key[0] == 0x3f);
  CHECK(c.key[31] == 0x2c);
}

TEST_CASE("gateway config: the example's placeholder and keys with no entropy are refused") {
  test::TempDir dir;
  auto with_key = [&](const std::string& key) {
    return write(dir, "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + key + "\"\n");
  };
  std::string path = with_key(std::string(gateway::kKeyPlaceholder));
  CHECK(errorOf(path) == path +
                             ":5: key 'uplink.key': is not set: put in the key (64 hex digits) "
                             "that `dotsctl endpoint add` printed for this gateway");
  path = with_key("");
  CHECK(errorOf(path).starts_with(path + ":5: key 'uplink.key': is not set"));
  // An arithmetic run of bytes (00 03 06 ...) has 32 distinct bytes and still no entropy.
  std::string counting;
  for (int i = 0; i < 32; ++i)
    counting += dots::toHex(std::vector<std::uint8_t>{std::uint8_t(i * 3)});
  std::string pattern;
  for (int i = 0; i < 8; ++i) pattern += "deadbeef";
  for (const std::string& weak : {std::string(64, '0'), std::string(64, 'a'), std::string(64, 'f'),
                                  std::string(16, '0') + std::string(48, 'b'), counting, pattern}) {
    CAPTURE(weak);
    path = with_key(weak);
    CHECK(errorOf(path) == path +
                               ":5: key 'uplink.key': is no real key (no entropy: e.g. all bytes "
                               "equal); put in the key that `dotsctl endpoint add` printed for "
                               "this gateway");
  }
  path = with_key(kKey);
  CHECK(errorOf(path) == "no error");
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

TEST_CASE("gateway config: [local] is the one mqtt input when no [[input]] is given") {
  test::TempDir dir;
  std::string head = "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey +
                     "\"\nreconnect_min_ms = 300\nreconnect_max_ms = 9000\n";
  auto c = gateway::loadGatewayConfig(
      write(dir, head + "[local]\nbroker = \"tcp://10.0.0.2:1884\"\nclient_id = \"me\"\n"
                        "topics = [\"a/#\", \"b/+\"]\n"));
  REQUIRE(c.mqtt_inputs.size() == 1);
  CHECK(c.mqtt_inputs[0].name == "local");
  CHECK(c.mqtt_inputs[0].broker == "tcp://10.0.0.2:1884");
  CHECK(c.mqtt_inputs[0].client_id == "me");
  CHECK(c.mqtt_inputs[0].topics == std::vector<std::string>{"a/#", "b/+"});
  CHECK(c.mqtt_inputs[0].min_backoff.count() == 300);
  CHECK(c.mqtt_inputs[0].max_backoff.count() == 9000);

  auto path = write(dir, head + "[local]\nbroker = \"mqtt://x\"\n");
  CHECK(errorOf(path).starts_with(path + ":9: key 'local.broker': must be tcp://"));
  path = write(dir, head + "[local]\ntopics = []\n");
  CHECK(errorOf(path) == path + ":9: key 'local.topics': must name at least one topic filter");
}

TEST_CASE("gateway config: [[input]] tables of type mqtt, each its own input") {
  test::TempDir dir;
  std::string ca = dir.file("ca.crt");
  std::ofstream(ca) << "PEM\n";
  std::string head = "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey + "\"\n";
  auto c = gateway::loadGatewayConfig(
      write(dir, head +
                     "[[input]]\ntype = \"mqtt\"\n"
                     "[[input]]\ntype = \"mqtt\"\nname = \"hall\"\n"
                     "broker = \"ssl://10.0.0.3:8883\"\ntopics = [\"hall/#\"]\n"
                     "ca_file = \"" +
                     ca +
                     "\"\n"
                     "[[input]]\ntype = \"mqtt\"\nclient_id = \"third\"\n"));
  REQUIRE(c.mqtt_inputs.size() == 3);
  CHECK(c.mqtt_inputs[0].name == "local");
  CHECK(c.mqtt_inputs[0].broker == "tcp://127.0.0.1:1883");
  CHECK(c.mqtt_inputs[0].client_id == "dots-gw-gw1-local");
  CHECK(c.mqtt_inputs[0].topics == std::vector<std::string>{"sensors/#"});
  CHECK(c.mqtt_inputs[1].name == "hall");
  CHECK(c.mqtt_inputs[1].broker == "ssl://10.0.0.3:8883");
  CHECK(c.mqtt_inputs[1].client_id == "dots-gw-gw1-hall");
  CHECK(c.mqtt_inputs[1].topics == std::vector<std::string>{"hall/#"});
  CHECK(c.mqtt_inputs[1].ca_file == ca);
  CHECK(c.mqtt_inputs[2].name == "local-3");
  CHECK(c.mqtt_inputs[2].client_id == "third");
}

TEST_CASE("gateway config: [[input]] errors name file, line and key") {
  test::TempDir dir;
  std::string head = "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey + "\"\n";
  auto path = write(dir, head + "[[input]]\ntype = \"modbus\"\n");
  CHECK(errorOf(path) ==
        path + ":7: key 'input[0].type': unknown input type \"modbus\" (known: mqtt)");
  path = write(dir, head + "[[input]]\nbroker = \"tcp://x:1\"\n");
  CHECK(errorOf(path) == path + ": missing required key 'input[0].type'");
  path = write(dir, head + "[local]\nbroker = \"tcp://x:1\"\n[[input]]\ntype = \"mqtt\"\n");
  CHECK(errorOf(path) == path +
                             ":6: key 'local': give the sensor broker either as [local] or as "
                             "[[input]] tables, not both");
  path = write(dir, head + "[[input]]\ntype = \"mqtt\"\ntopics = []\n");
  CHECK(errorOf(path) == path + ":8: key 'input[0].topics': must name at least one topic filter");
  path = write(dir, head + "[[input]]\ntype = \"mqtt\"\nbroker = \"udp://x\"\n");
  CHECK(errorOf(path).starts_with(path + ":8: key 'input[0].broker': must be tcp://"));
  path = write(dir, head + "[[input]]\ntype = \"mqtt\"\nname = \"a b\"\n");
  CHECK(errorOf(path).starts_with(path + ":8: key 'input[0].name': must be 1-64 characters"));
  path = write(dir, head +
                        "[[input]]\ntype = \"mqtt\"\nname = \"x\"\n"
                        "[[input]]\ntype = \"mqtt\"\nname = \"x\"\n");
  CHECK(errorOf(path) == path + ":11: key 'input[1].name': another [[input]] has this name");
  path = write(dir, head +
                        "[[input]]\ntype = \"mqtt\"\nclient_id = \"c\"\n"
                        "[[input]]\ntype = \"mqtt\"\nname = \"y\"\nclient_id = \"c\"\n");
  CHECK(errorOf(path).starts_with(path + ":12: key 'input[1].client_id': another [[input]] uses"));
  path = write(dir, head + "[[input]]\ntype = \"mqtt\"\nuri = \"tcp://x:1\"\n");
  CHECK(errorOf(path) == path + ":8: unknown key 'input[0].uri'");
  path = write(dir, "input = 3\n" + head);
  CHECK(errorOf(path).starts_with(path + ":1: key 'input': must be an array of tables"));
}

TEST_CASE("gateway config: broker credentials and TLS files, errors naming file, line and key") {
  test::TempDir dir;
  std::string pem = dir.file("x.pem");
  std::ofstream(pem) << "PEM\n";
  std::string secret = dir.file("password");
  std::ofstream(secret) << "s3cret\nignored second line\n";
  ::chmod(secret.c_str(), 0600);
  std::string head = "[gateway]\nid = \"gw1\"\n[uplink]\nkey_id = 1\nkey = \"" + kKey + "\"\n";
  std::string ssl = "broker = \"ssl://h:8883\"\n";

  auto c = gateway::loadGatewayConfig(
      write(dir, head + ssl + "username = \"gw1\"\npassword_file = \"" + secret +
                     "\"\nca_file = \"" + pem + "\"\ncert_file = \"" + pem + "\"\nkey_file = \"" +
                     pem + "\"\n[local]\nbroker = \"ssl://127.0.0.1:8883\"\nca_file = \"" + pem +
                     "\"\nusername = \"u\"\npassword_file = \"" + secret + "\"\n"));
  CHECK(c.username == "gw1");
  CHECK(c.password == "s3cret");
  CHECK(c.ca_file == pem);
  CHECK(c.cert_file == pem);
  CHECK(c.key_file == pem);
  CHECK(c.mqtt_inputs[0].ca_file == pem);
  CHECK(c.mqtt_inputs[0].username == "u");
  CHECK(c.mqtt_inputs[0].password == "s3cret");

  auto path = write(dir, head + ssl);
  CHECK(errorOf(path).starts_with(path + ": key 'uplink.ca_file': is required for an ssl://"));
  path = write(dir, head + ssl + "ca_file = \"" + dir.file("none") + "\"\n");
  CHECK(errorOf(path) ==
        path + ":7: key 'uplink.ca_file': " + dir.file("none") + " is not a readable file");
  path = write(dir, head + ssl + "ca_file = \"" + pem + "\"\ncert_file = \"" + pem + "\"\n");
  CHECK(errorOf(path) ==
        path + ": key 'uplink.key_file': a client certificate needs both cert_file and key_file");
  path = write(dir, head + "ca_file = \"" + pem + "\"\n");
  CHECK(errorOf(path).starts_with(path + ":6: key 'uplink.ca_file': is for ssl:// brokers only"));
  path = write(dir, head + "password = \"x\"\npassword_file = \"" + secret + "\"\n");
  CHECK(errorOf(path) ==
        path + ":7: key 'uplink.password_file': give password or password_file, not both");
  path = write(dir, head + "[local]\nbroker = \"ssl://127.0.0.1:8883\"\n");
  CHECK(errorOf(path).starts_with(path + ": key 'local.ca_file': is required"));

  ::chmod(secret.c_str(), 0644);
  path = write(dir, head + "password_file = \"" + secret + "\"\n");
  CHECK(errorOf(path) == path + ":6: key 'uplink.password_file': " + secret +
                             " has mode 0644: others may read or change it (chmod 600 " + secret +
                             ")");
}
