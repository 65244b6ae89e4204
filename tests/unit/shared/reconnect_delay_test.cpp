#include <doctest/doctest.h>

#include <set>

#include "shared/mqtt/client.h"

using dots::mqtt::reconnectDelay;
using namespace std::chrono_literals;

TEST_CASE("reconnect delay: exponential, capped, jittered to 50-100%") {
  std::minstd_rand rng(1);
  for (int attempt = 0; attempt < 30; ++attempt) {
    long long base = std::min<long long>(10000, 200LL << std::min(attempt, 20));
    for (int i = 0; i < 50; ++i) {
      auto d = reconnectDelay(attempt, 200ms, 10000ms, rng);
      CHECK(d.count() >= base / 2);
      CHECK(d.count() <= base);
    }
  }
}

TEST_CASE("reconnect delay: gateways that fail together retry apart") {
  std::minstd_rand rng(7);
  std::set<long long> delays;
  for (int gw = 0; gw < 100; ++gw) delays.insert(reconnectDelay(5, 200ms, 30000ms, rng).count());
  CHECK(delays.size() > 80);  // 100 gateways spread over [3200, 6400] ms
}
