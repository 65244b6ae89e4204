// Secrets on disk (issue 14, attack 7): the data folder and its databases are private, key files
// are created new and never through a symbolic link, and keys at rest in the registry are sealed
// under a key-encryption key when one is given.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>

#include "shared/seal/envelope.h"
#include "shared/text/hex.h"
#include "tests/integration/system.h"
#include "tests/support/scoped_env.h"

using namespace dots;
using namespace dots::itest;
using namespace std::chrono_literals;
using dots::test::ScopedEnv;

namespace {

unsigned modeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The processes this test starts inherit a umask that would make world-readable files, as a
// shell's does: what is private must be made so by the binaries themselves.
struct OpenUmask {
  OpenUmask() : old(::umask(022)) {}
  ~OpenUmask() { ::umask(old); }
  mode_t old;
};

std::string keyHexOf(const std::string& config) {
  std::smatch m;
  REQUIRE(std::regex_search(config, m, std::regex("key = \"([0-9a-f]{64})\"")));
  return m[1].str();
}

// Every file of the registry (registry.db and its -wal, -shm while they exist), as bytes.
std::string registryBytes(const std::string& data_dir) {
  std::string bytes;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().filename().string().starts_with("registry.db")) {
      bytes += readFile(entry.path().string());
    }
  }
  return bytes;
}

// Whether the key (given as hex) is anywhere in `bytes`, in hex (either case) or in binary.
bool holdsKey(const std::string& bytes, const std::string& key_hex) {
  auto binary = fromHex(key_hex);
  REQUIRE(binary);
  std::string raw(binary->begin(), binary->end());
  std::string upper = key_hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return bytes.find(raw) != std::string::npos || bytes.find(key_hex) != std::string::npos ||
         bytes.find(upper) != std::string::npos;
}

std::string writeKek(const std::string& path) {
  std::string hex = toHex(seal::randomKey());
  writeFile(path, hex + "\n");
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace

TEST_CASE("secrets: dotsctl and dots-ingest make the data folder 0700 and every file in it 0600") {
  OpenUmask open_umask;
  test::TempDir dir;
  Broker broker(dir.str());
  std::string data = dir.file("data");
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {DOTS_CTL_BIN, "--data", data});
    return run(args, dir.str());
  };
  REQUIRE(ctl({"account", "add", "acme"}).code == 0);
  REQUIRE(ctl({"endpoint", "add", "--account", "acme", "--gateway", "gw1"}).code == 0);
  Process ingest({DOTS_INGEST_BIN, "--data", data, "--broker", broker.uri()},
                 dir.file("ingest.log"));
  bool up = waitFor(
      [&] { return ingest.log().find("ingest-mqtt: connected") != std::string::npos; }, 20s);
  INFO(ingest.log());
  REQUIRE(up);

  auto check_all = [&](const std::string& when) {
    INFO(when);
    CHECK(modeOf(data) == 0700);
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(data)) {
      std::string path = entry.path().string();
      names.push_back(entry.path().filename().string());
      INFO(path);
      CHECK(entry.is_regular_file());
      CHECK(modeOf(path) == 0600);
    }
    return names;
  };
  // While dots-ingest runs: the registry, the store and their WAL and shared-memory files.
  auto names = check_all("while dots-ingest runs");
  for (const char* expected : {"registry.db", "store.db", "store.db-wal", "store.db-shm"}) {
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
  CHECK(ingest.stop() == 0);
  check_all("after dots-ingest stopped");

  // A database found looser (made by an older version) is tightened, and the user is told.
  ::chmod((data + "/registry.db").c_str(), 0644);
  CommandResult list = ctl({"endpoint", "list"});
  CHECK(list.code == 0);
  CHECK(list.err.find("registry.db had mode 0644; tightened to 0600") != std::string::npos);
  CHECK(modeOf(data + "/registry.db") == 0600);
}

TEST_CASE("secrets: key files are created new with mode 0600, never over a file or a symlink") {
  OpenUmask open_umask;
  test::TempDir dir;
  std::string data = dir.file("data");
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {DOTS_CTL_BIN, "--data", data});
    return run(args, dir.str());
  };
  REQUIRE(ctl({"account", "add", "acme"}).code == 0);

  // endpoint add --out: the config (with its key) goes to a new 0600 file, not to stdout.
  std::string out = dir.file("gw1.toml");
  CommandResult added =
      ctl({"endpoint", "add", "--account", "acme", "--gateway", "gw1", "--out", out});
  REQUIRE(added.code == 0);
  CHECK(added.out.empty());
  CHECK(modeOf(out) == 0600);
  std::string config = readFile(out);
  CHECK(config.find("id = \"gw1\"") != std::string::npos);
  keyHexOf(config);
  CommandResult check = run({DOTS_GATEWAY_BIN, "--config", out, "--check-config"}, dir.str());
  CHECK(check.out.find("ok (gateway gw1)") != std::string::npos);
  // Without --out, stdout as before (DESIGN.md 6).
  CommandResult stdout_add = ctl({"endpoint", "add", "--account", "acme", "--gateway", "gw0"});
  REQUIRE(stdout_add.code == 0);
  keyHexOf(stdout_add.out);

  // A target that must stay untouched, a symlink to it, and a dangling symlink (following it
  // would create its target).
  std::string target = dir.file("target");
  writeFile(target, "precious\n");
  ::chmod(target.c_str(), 0644);
  std::string link = dir.file("link");
  std::string dangling = dir.file("dangling");
  std::filesystem::create_symlink(target, link);
  std::filesystem::create_symlink(dir.file("created-through-link"), dangling);

  struct Refusal {
    std::string path;
    std::string message;
  };
  const std::vector<Refusal> refusals{
      {out, out + " already exists: refused"},
      {link, link + " is a symbolic link: refused (not followed"},
      {dangling, dangling + " is a symbolic link: refused (not followed"}};
  int n = 0;
  for (const Refusal& r : refusals) {
    CAPTURE(r.path);
    std::string before = readFile(out);
    std::string gw = "gw-refused-" + std::to_string(++n);
    CommandResult add =
        ctl({"endpoint", "add", "--account", "acme", "--gateway", gw, "--out", r.path});
    CHECK(add.code == 3);
    CHECK(add.err.find(r.message) != std::string::npos);
    CommandResult fleet = ctl({"endpoint", "fleet", "--account", "acme", "--prefix", gw + "-f",
                               "--count", "2", "--keys", r.path});
    CHECK(fleet.code == 3);
    CHECK(fleet.err.find(r.message) != std::string::npos);
    // Nothing was provisioned, nothing written.
    CHECK(ctl({"endpoint", "list"}).out.find(gw) == std::string::npos);
    CHECK(readFile(out) == before);
  }
  CHECK(readFile(target) == "precious\n");
  CHECK(modeOf(target) == 0644);
  CHECK(!std::filesystem::exists(dir.file("created-through-link")));

  // fleet --keys: a new 0600 file of "<gateway> <key hex>" lines.
  std::string keys = dir.file("keys.txt");
  REQUIRE(ctl({"endpoint", "fleet", "--account", "acme", "--prefix", "f", "--count", "3", "--keys",
               keys})
              .code == 0);
  CHECK(modeOf(keys) == 0600);
  CHECK(std::regex_match(readFile(keys), std::regex("(f[123] [0-9a-f]{64}\n){3}")));
}

TEST_CASE(
    "secrets: with a KEK no key is on disk in plain, the ingester stores readings, "
    "without it dots-ingest and dotsctl refuse") {
  test::TempDir secrets;
  std::string kek = writeKek(secrets.file("kek"));
  std::optional<System> sys_holder;
  std::string config;
  {
    // Every dotsctl and dots-ingest started while this is set gets the KEK (DOTS_KEK_FILE).
    ScopedEnv env("DOTS_KEK_FILE", kek);
    sys_holder.emplace();
    System& sys = *sys_holder;
    config = sys.provision("gw1");
    std::string key_hex = keyHexOf(readFile(config));
    std::string rotated = sys.ctl({"endpoint", "rotate-key", "--gateway", "gw1"}).out;
    CHECK(!holdsKey(registryBytes(sys.data()), key_hex));
    CHECK(!holdsKey(registryBytes(sys.data()), keyHexOf(rotated)));

    auto ingest = sys.startIngest();
    // The registry files while the ingester holds them open (its WAL included).
    CHECK(!holdsKey(registryBytes(sys.data()), key_hex));
    auto gateway = sys.startGateway(config, "gateway.log");
    CommandResult sim = run(sys.simArgs("run", 600, 6, 0), sys.path(""), 60s);
    INFO("sim: ", sim.err);
    REQUIRE(sim.code == 0);
    sys.requireExactlyOnce("gw1", 600, "run", gateway->log() + ingest->log());
    CHECK(gateway->stop() == 0);
    CHECK(ingest->stop() == 0);
    CHECK(!holdsKey(registryBytes(sys.data()), key_hex));
  }
  System& sys = *sys_holder;
  // Without the KEK: refused with a clear error, by both.
  ::unsetenv("DOTS_KEK_FILE");
  CommandResult refused =
      run({DOTS_CTL_BIN, "--data", sys.data(), "endpoint", "list"}, sys.path(""));
  CHECK(refused.code == 1);
  CHECK(refused.err.find("kek-required: the keys in " + sys.data() +
                         "/registry.db are encrypted: give the key-encryption key with "
                         "--kek-file FILE") != std::string::npos);
  Process ingest({DOTS_INGEST_BIN, "--data", sys.data(), "--broker", sys.broker().uri()},
                 sys.path("ingest-no-kek.log"));
  CHECK(ingest.wait(20s) == 1);
  CHECK(ingest.log().find("kek-required") != std::string::npos);
  // With another KEK: refused too.
  std::string other = writeKek(secrets.file("other-kek"));
  CommandResult wrong = run(
      {DOTS_CTL_BIN, "--data", sys.data(), "--kek-file", other, "endpoint", "list"}, sys.path(""));
  CHECK(wrong.code == 1);
  CHECK(wrong.err.find("kek-mismatch") != std::string::npos);
  // A KEK with no entropy is refused before anything is opened.
  writeFile(secrets.file("zero-kek"), std::string(64, '0'));
  CommandResult zero = run({DOTS_INGEST_BIN, "--data", sys.data(), "--broker", sys.broker().uri(),
                            "--kek-file", secrets.file("zero-kek")},
                           sys.path(""));
  CHECK(zero.code == 2);
  CHECK(zero.err.find("no entropy") != std::string::npos);
}

TEST_CASE("secrets: registry encrypt-keys seals an existing registry's keys, which keep working") {
  test::TempDir secrets;
  std::string kek = writeKek(secrets.file("kek"));
  System sys;
  std::string config = sys.provision("gw1");
  std::string key_hex = keyHexOf(readFile(config));
  // Plaintext today: the check below can see a key.
  REQUIRE(holdsKey(registryBytes(sys.data()), key_hex));

  // A KEK given to a registry with plaintext keys is refused until they are encrypted.
  CommandResult early = run(
      {DOTS_INGEST_BIN, "--data", sys.data(), "--broker", sys.broker().uri(), "--kek-file", kek},
      sys.path(""));
  CHECK(early.code == 1);
  CHECK(early.err.find("keys-not-encrypted") != std::string::npos);
  CommandResult no_kek =
      run({DOTS_CTL_BIN, "--data", sys.data(), "registry", "encrypt-keys"}, sys.path(""));
  CHECK(no_kek.code == 2);

  CommandResult enc =
      run({DOTS_CTL_BIN, "--data", sys.data(), "--kek-file", kek, "registry", "encrypt-keys"},
          sys.path(""));
  INFO(enc.err);
  REQUIRE(enc.code == 0);
  CHECK(enc.out.find("1 keys encrypted") != std::string::npos);
  CHECK(!holdsKey(registryBytes(sys.data()), key_hex));

  ScopedEnv env("DOTS_KEK_FILE", kek);
  CHECK(sys.ctl({"endpoint", "list"}).out.find("gw1") != std::string::npos);
  // The config printed before still works: the key is the same, only sealed at rest.
  auto ingest = sys.startIngest();
  auto gateway = sys.startGateway(config, "gateway.log");
  CommandResult sim = run(sys.simArgs("run", 300, 3, 0), sys.path(""), 60s);
  REQUIRE(sim.code == 0);
  sys.requireExactlyOnce("gw1", 300, "run", gateway->log() + ingest->log());
}
