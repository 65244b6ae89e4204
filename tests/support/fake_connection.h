#pragma once

// Test-only: an in-memory mqtt::Connection. It records what is published and subscribed, and
// lets a test deliver messages and connect or drop the connection; every handler runs on the
// calling test thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shared/mqtt/connection.h"

namespace dots::test {

struct FakePublish {
  std::string topic;
  std::vector<std::uint8_t> payload;
  int qos = 0;
  bool retained = false;
};

class FakeConnection final : public mqtt::Connection {
 public:
  using Connection::publish;

  Result<void> publish(std::string_view topic, std::span<const std::uint8_t> payload, int qos,
                       bool retained = false) override {
    std::lock_guard lock(mutex_);
    if (!connected_) return fail("not-connected", "fake");
    if (publish_error_) return fail(*publish_error_, "fake");
    published_.push_back({std::string(topic), {payload.begin(), payload.end()}, qos, retained});
    return {};
  }
  bool isConnected() const override {
    std::lock_guard lock(mutex_);
    return connected_;
  }

  void subscribe(std::string filter, int qos) override {
    subscriptions_.emplace_back(std::move(filter), qos);
  }
  void onMessage(mqtt::MessageHandler handler) override { on_message_ = std::move(handler); }
  void onConnected(std::function<void()> handler) override { on_connected_ = std::move(handler); }
  void onConnectionLost(std::function<void(const std::string&)> handler) override {
    on_lost_ = std::move(handler);
  }
  void start() override { started_ = true; }
  bool waitConnected(std::chrono::milliseconds) override { return isConnected(); }
  void stop(std::chrono::milliseconds) override {
    stopped_ = true;
    std::lock_guard lock(mutex_);
    connected_ = false;
  }

  // What a test drives.
  void connect() {
    {
      std::lock_guard lock(mutex_);
      connected_ = true;
    }
    if (on_connected_) on_connected_();
  }
  void drop(const std::string& cause = "test") {
    {
      std::lock_guard lock(mutex_);
      connected_ = false;
    }
    if (on_lost_) on_lost_(cause);
  }
  void deliver(std::string_view topic, std::span<const std::uint8_t> payload) {
    if (on_message_) on_message_(topic, payload);
  }
  void deliver(std::string_view topic, std::string_view text) {
    deliver(topic, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  }
  // Makes every publish fail with `reason` ("busy", ...) until cleared with nullopt.
  void failPublishes(std::optional<std::string> reason) {
    std::lock_guard lock(mutex_);
    publish_error_ = std::move(reason);
  }

  std::vector<FakePublish> published() const {
    std::lock_guard lock(mutex_);
    return published_;
  }
  // Returns what was published since the last call and forgets it.
  std::vector<FakePublish> takePublished() {
    std::lock_guard lock(mutex_);
    return std::exchange(published_, {});
  }
  const std::vector<std::pair<std::string, int>>& subscriptions() const { return subscriptions_; }
  bool started() const { return started_; }
  bool stopped() const { return stopped_; }

 private:
  mutable std::mutex mutex_;
  bool connected_ = false;
  std::optional<std::string> publish_error_;
  std::vector<FakePublish> published_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  mqtt::MessageHandler on_message_;
  std::function<void()> on_connected_;
  std::function<void(const std::string&)> on_lost_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace dots::test
