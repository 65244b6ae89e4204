#include "shared/config/toml_file.h"

#include <doctest/doctest.h>

#include <functional>

using dots::config::ConfigError;
using dots::config::TomlFile;

namespace {
std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("toml: typed getters with defaults and ranges") {
  TomlFile f = TomlFile::parse("[a]\nn = 5\ns = \"x\"\nb = true\nl = [\"p\", \"q\"]\n", "t.toml");
  CHECK(f.integer("a.n", 1, 0, 10) == 5);
  CHECK(f.integer("a.missing", 7, 0, 10) == 7);
  CHECK(f.string("a.s") == "x");
  CHECK(f.boolean("a.b", false));
  CHECK(f.strings("a.l", std::nullopt) == std::vector<std::string>{"p", "q"});
  CHECK_NOTHROW(f.rejectUnknownKeys());
}

TEST_CASE("toml: errors name the file, the line and the key") {
  TomlFile f = TomlFile::parse("[batch]\n\nlinger_ms = 0\nname = 3\n", "gw.toml");
  CHECK(errorOf([&] { f.integer("batch.linger_ms", 50, 1, 100); }) ==
        "gw.toml:3: key 'batch.linger_ms': must be between 1 and 100 (got 0)");
  CHECK(errorOf([&] { f.string("batch.name"); }) ==
        "gw.toml:4: key 'batch.name': must be a string");
  CHECK(errorOf([&] { f.string("gateway.id"); }) == "gw.toml: missing required key 'gateway.id'");
}

TEST_CASE("toml: unknown keys are reported with their line") {
  TomlFile f = TomlFile::parse("[batch]\nlinger_ms = 5\nlinger = 7\n", "gw.toml");
  f.integer("batch.linger_ms", 50, 1, 100);
  CHECK(errorOf([&] { f.rejectUnknownKeys(); }) == "gw.toml:3: unknown key 'batch.linger'");
}

TEST_CASE("toml: syntax errors carry line and column") {
  std::string e = errorOf([] { TomlFile::parse("[a]\nx = = 1\n", "bad.toml"); });
  CHECK(e.starts_with("bad.toml:2:"));
}

TEST_CASE("toml: choice lists the allowed values") {
  TomlFile f = TomlFile::parse("[spool]\npolicy = \"keep-all\"\n", "gw.toml");
  CHECK(errorOf([&] {
          f.choice("spool.policy", "drop-oldest", {"drop-oldest", "reject-new"});
        }) ==
        "gw.toml:2: key 'spool.policy': must be one of drop-oldest, reject-new (got \"keep-all\")");
}
