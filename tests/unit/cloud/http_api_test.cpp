// The HTTP API's own guards: bearer tokens and their scopes, rates and states; a handler that
// throws is answered 500, counted and logged, and the server goes on serving; a request that
// never ends is cut off.
#include "cloud/api/http_api.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <new>
#include <string>

#include "cloud/registry/api_tokens.h"
#include "cloud/store/sqlite/sqlite_queries.h"
#include "shared/time/clock.h"
#include "tests/unit/temp_dir.h"

using namespace dots;
using namespace dots::cloud;

namespace {

std::unique_ptr<Registry> openRegistry(const test::TempDir& dir) {
  auto reg = Registry::open(dir.str());
  REQUIRE(reg.has_value());
  return std::move(*reg);
}

// Stores a token and returns its secret.
std::string addToken(Registry& reg, const std::string& account, unsigned scopes,
                     std::int64_t expires_ms = 0) {
  ApiToken t;
  t.account = account;
  t.scopes = scopes;
  t.expires_ms = expires_ms;
  std::string secret = newTokenSecret();
  auto added = reg.addToken(t, tokenHash(secret));
  REQUIRE(added.has_value());
  return secret;
}

httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

}  // namespace

TEST_CASE("tokens: scopes parse and print, and a token's kind bounds its scopes") {
  auto scopes = parseScopes("read,command");
  REQUIRE(scopes.has_value());
  CHECK(*scopes == (kScopeRead | kScopeCommand));
  CHECK(formatScopes(*scopes) == "read,command");
  CHECK(parseScopes("read,root").error().reason == "bad-scope");
  CHECK(parseScopes("").error().reason == "bad-scope");
  CHECK(newTokenSecret() != newTokenSecret());
  CHECK(newTokenSecret().size() == 5 + 64);

  test::TempDir dir;
  auto reg = openRegistry(dir);
  REQUIRE(reg->addAccount("acme").has_value());
  ApiToken t;
  t.account = "acme";
  t.scopes = kScopeMetrics;  // an account token cannot read /metrics
  CHECK(reg->addToken(t, tokenHash("x")).error().reason == "bad-scope");
  t.account = "";
  t.scopes = kScopeRead;  // an operator token has no account to read
  CHECK(reg->addToken(t, tokenHash("x")).error().reason == "bad-scope");
  t.account = "nobody";
  CHECK(reg->addToken(t, tokenHash("x")).error().reason == "no-such-account");
  // Only the hash is stored: the secret is nowhere in the registry's file.
  std::string secret = addToken(*reg, "acme", kScopeRead);
  reg.reset();
  std::string file;
  for (const char* name : {"/registry.db", "/registry.db-wal"}) {
    std::ifstream in(dir.str() + name, std::ios::binary);
    file += std::string(std::istreambuf_iterator<char>(in), {});
  }
  CHECK(file.find(secret.substr(5)) == std::string::npos);
  CHECK(file.find(secret) == std::string::npos);
}

TEST_CASE("token gate: missing, unknown, expired, revoked, wrong-scope and rate-limited tokens") {
  test::TempDir dir;
  auto reg = openRegistry(dir);
  REQUIRE(reg->addAccount("acme").has_value());
  std::string read = addToken(*reg, "acme", kScopeRead);
  std::string expired = addToken(*reg, "acme", kScopeRead, wallMillis() - 1);
  std::string doomed = addToken(*reg, "acme", kScopeRead);
  TokenGate gate(openRegistry(dir), TokenRate{1, 3});
  auto now = TokenGate::Clock::now();
  std::int64_t ms = wallMillis();
  auto reason = [&](const std::string& header, unsigned scope) {
    auto r = gate.admit(header, scope, ms, now);
    return r ? std::string("admitted") : r.error().reason;
  };
  CHECK(reason("", kScopeRead) == "no-token");
  CHECK(reason("Basic abc", kScopeRead) == "bad-token");
  CHECK(reason("Bearer dots_0000", kScopeRead) == "bad-token");
  CHECK(reason("Bearer " + expired, kScopeRead) == "expired-token");
  CHECK(reason("Bearer " + read, kScopeCommand) == "wrong-scope");
  CHECK(gate.admit("Bearer " + read, kScopeCommand, ms, now).error().status == 403);
  CHECK(reason("Bearer " + doomed, kScopeRead) == "admitted");
  // Revoked through another connection (dotsctl's): refused from the next request on.
  auto revoked = reg->tokens();
  REQUIRE(revoked.has_value());
  REQUIRE(reg->revokeToken(revoked->back().id).has_value());
  CHECK(reason("Bearer " + doomed, kScopeRead) == "revoked-token");
  // A bucket of 3 (the wrong-scope request above took none), one more per second.
  CHECK(reason("Bearer " + read, kScopeRead) == "admitted");
  CHECK(reason("Bearer " + read, kScopeRead) == "admitted");
  CHECK(reason("Bearer " + read, kScopeRead) == "admitted");
  CHECK(reason("Bearer " + read, kScopeRead) == "rate-limited");
  CHECK(gate.admit("Bearer " + read, kScopeRead, ms, now).error().status == 429);
  now += std::chrono::milliseconds(1100);
  CHECK(reason("Bearer " + read, kScopeRead) == "admitted");
  GateCounters c = gate.counters();
  CHECK(c.refused["rate-limited"] == 2);
  CHECK(c.refused["no-token"] == 1);
  CHECK(c.refused["bad-token"] == 2);
  CHECK(c.rate_limited.begin()->second == 2);
}

TEST_CASE("http api: a handler that throws is answered 500 and counted, the server serves on") {
  test::TempDir dir;
  auto queries = sqlite_store::SqliteQueries::open(dir.str());
  REQUIRE(queries.has_value());
  auto reg = openRegistry(dir);
  std::string op = addToken(*reg, "", kScopeMetrics);
  REQUIRE(reg->addAccount("acme").has_value());
  std::string read = addToken(*reg, "acme", kScopeRead);
  TokenGate gate(openRegistry(dir), TokenRate{});
  std::atomic<int> calls{0};
  // The first two views fail as a poisoned state or an exhausted heap would.
  HttpOptions options;
  options.address = "127.0.0.1:0";
  HttpApi api(options, HttpParts{**queries, gate, nullptr, nullptr, nullptr, [&]() -> IngestView {
                                   int n = calls.fetch_add(1);
                                   if (n == 0) throw std::bad_alloc();
                                   if (n == 1) throw 42;  // not even a std::exception
                                   return IngestView{};
                                 }});
  api.start();
  httplib::Client client("127.0.0.1", api.port());
  for (int i = 0; i < 2; ++i) {
    auto res = client.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == 500);
    CHECK(res->body.find("internal-error") != std::string::npos);
  }
  auto healthy = client.Get("/healthz");
  REQUIRE(healthy);
  CHECK(healthy->status != 500);
  // /metrics: an operator token, never an account's.
  CHECK(client.Get("/metrics")->status == 401);
  CHECK(client.Get("/metrics", bearer(read))->status == 403);
  auto metrics = client.Get("/metrics", bearer(op));
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->body.find("dots_http_internal_errors_total 2\n") != std::string::npos);
  // A bad parameter stays a 400, not an internal error; the operator has no account to query.
  auto bad = client.Get("/api/v1/readings?limit=x", bearer(read));
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(client.Get("/api/v1/readings", bearer(op))->status == 403);
  api.stop();
}

TEST_CASE("http api: a request whose headers never end is cut off, others are served") {
  test::TempDir dir;
  auto queries = sqlite_store::SqliteQueries::open(dir.str());
  REQUIRE(queries.has_value());
  TokenGate gate(openRegistry(dir), TokenRate{});
  HttpOptions options;
  options.address = "127.0.0.1:0";
  options.max_head_bytes = 16 << 10;
  options.max_body_bytes = 16 << 10;
  HttpApi api(options,
              HttpParts{**queries, gate, nullptr, nullptr, nullptr, [] { return IngestView{}; }});
  api.start();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(api.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  std::string line = "X-Filler: " + std::string(1000, 'a') + "\r\n";
  bool refused = false;
  std::size_t sent = 0;
  // 50 MB of header lines: the server stops reading after its 32 KiB budget and closes.
  for (int i = 0; i < 50000 && !refused; ++i) {
    const std::string& chunk = i == 0 ? head : line;
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0)
      refused = true;
    else
      sent += static_cast<std::size_t>(n);
  }
  ::close(fd);
  CHECK(refused);
  CHECK(sent < (20u << 20));  // well short of the 50 MB (socket buffers hold the rest)
  httplib::Client client("127.0.0.1", api.port());
  auto res = client.Get("/healthz");
  REQUIRE(res);
  CHECK(res->status != 500);
  api.stop();
}
