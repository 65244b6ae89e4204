#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "shared/mqtt/client.h"
#include "shared/seal/envelope.h"
#include "shared/sqlite/database.h"
#include "shared/text/hex.h"
#include "shared/topics/topics.h"
#include "tests/integration/harness.h"

namespace dots::itest {

// Keeps the latest message on a gateway's status topic.
class StatusWatcher {
 public:
  StatusWatcher(const std::string& broker_uri, const std::string& gw)
      : client_(options(broker_uri, gw)) {
    client_.subscribe(topics::status(gw), 1);
    client_.onMessage([this](std::string_view, std::span<const std::uint8_t> payload) {
      std::lock_guard lock(mutex_);
      last_.assign(payload.begin(), payload.end());
      ++messages_;
    });
    client_.start();
  }

  std::string last() {
    std::lock_guard lock(mutex_);
    return last_;
  }
  long messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  // A top-level integer field of the latest status, or -1.
  long field(const std::string& name) {
    std::string text = last();
    std::smatch m;
    if (!std::regex_search(text, m, std::regex("\"" + name + "\":(\\d+)"))) return -1;
    return std::stol(m[1]);
  }

 private:
  static mqtt::ClientOptions options(const std::string& uri, const std::string& gw) {
    mqtt::ClientOptions o;
    o.uri = uri;
    o.client_id = "status-watch-" + gw;
    o.log_name = "status-watch";
    o.min_backoff = std::chrono::milliseconds(50);
    o.max_backoff = std::chrono::milliseconds(500);
    return o;
  }
  mqtt::Client client_;
  std::mutex mutex_;
  std::string last_;
  long messages_ = 0;
};

// Collects every message on one topic filter.
class Collector {
 public:
  Collector(const std::string& uri, const std::string& filter, const std::string& id) {
    mqtt::ClientOptions o;
    o.uri = uri;
    o.client_id = id;
    client_ = std::make_unique<mqtt::Client>(o);
    client_->subscribe(filter, 1);
    client_->onMessage([this](std::string_view, std::span<const std::uint8_t> payload) {
      std::lock_guard lock(mutex_);
      messages_.emplace_back(payload.begin(), payload.end());
    });
    client_->start();
    REQUIRE(client_->waitConnected(10s));
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  long count(const std::string& needle) {
    long n = 0;
    for (const auto& m : messages()) n += m.find(needle) != std::string::npos ? 1 : 0;
    return n;
  }

 private:
  std::unique_ptr<mqtt::Client> client_;
  std::mutex mutex_;
  std::vector<std::string> messages_;
};

// One integer from a SQLite query on a file another process writes (WAL lets us read).
inline long queryLong(const std::string& path, const std::string& sql) {
  auto db = sqlite::Database::open(path, sqlite::Database::Mode::kReadOnly);
  if (!db) return -1;
  auto st = db->prepare(sql);
  if (!st) return -1;
  auto row = st->step();
  if (!row || !*row) return -1;
  return static_cast<long>(st->int64(0));
}

// The readings a gateway's spool file holds (sealed, not yet acknowledged).
// The endpoint key in a gateway config that dotsctl wrote.
inline seal::Key keyOf(const std::string& config_path) {
  std::smatch m;
  std::string text = readFile(config_path);
  REQUIRE(std::regex_search(text, m, std::regex("key = \"([0-9a-f]{64})\"")));
  auto bytes = fromHex(m[1].str());
  seal::Key key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

inline long spoolReadings(const std::string& spool_path) {
  return queryLong(spool_path, "SELECT coalesce(sum(readings),0) FROM batches");
}

}  // namespace dots::itest
