#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shared/model/reading.h"

namespace dots::cloud {

// What was committed, as live events see it: a channel's stored readings of one batch, or an
// alert. Published by the commit worker after the commit, never before.
struct CommittedEvent {
  std::int64_t channel_id = 0;
  std::string account;  // alerts: the account raised for (channel 0: the ingester's own)
  std::string gateway;
  std::vector<Reading> readings;  // kind "readings"
  bool historical = false;
  std::string alert_json;  // kind "alert": the alert as the API serves it
};

// What one live client asked for: its account's channels, optionally one gateway and sensor.
struct EventFilter {
  std::string account;
  std::set<std::int64_t> channels;
  std::optional<std::string> gateway;
  std::optional<std::string> sensor;
};

struct EventHubCounters {
  std::uint64_t clients = 0;          // connected now
  std::uint64_t events = 0;           // handed to clients
  std::uint64_t dropped_clients = 0;  // dropped because their buffer was full
  std::uint64_t refused_clients = 0;  // refused: the hub or their account had its most
};

// Fans committed events out to live clients (the SSE route). Each client has a bounded buffer
// of serialised events; a client whose buffer is full (it reads too slowly) is dropped, so a
// slow client never holds the commit worker. publish() takes the hub's lock briefly and never
// waits for a client. Thread-safe.
class EventHub {
 public:
  class Subscription;

  // Each live client holds an HTTP worker: at most `max_clients` at once, `max_per_account` of
  // one account.
  explicit EventHub(std::size_t buffer_bytes = 1u << 20, std::size_t max_clients = 64,
                    std::size_t max_per_account = 16)
      : buffer_bytes_(buffer_bytes), max_clients_(max_clients), max_per_account_(max_per_account) {}

  // Null when the hub or the account has its most clients already.
  std::unique_ptr<Subscription> subscribe(EventFilter filter);
  void publish(const std::vector<CommittedEvent>& events);
  EventHubCounters counters() const;
  // Whether any client is connected: the writer collects nothing for the hub while none is (a
  // client that connects during a group sees the groups after it).
  bool listening() const { return listening_.load(std::memory_order_relaxed) > 0; }

  // One client's end: next() waits for its next event (an SSE frame, "event: ...\ndata: ...\n\n").
  class Subscription {
   public:
    ~Subscription();
    // The next frame, or nullopt after `wait` with none; `dropped` is set once the hub dropped
    // this client (its buffer overflowed).
    std::optional<std::string> next(std::chrono::milliseconds wait, bool& dropped);

   private:
    friend class EventHub;
    explicit Subscription(EventHub& hub) : hub_(hub) {}
    struct State;
    EventHub& hub_;
    std::shared_ptr<State> state_;
  };

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Subscription::State>> clients_;
  std::size_t buffer_bytes_;
  std::size_t max_clients_;
  std::size_t max_per_account_;
  EventHubCounters counters_;
  std::atomic<std::size_t> listening_{0};  // clients_.size(), read without the lock
};

}  // namespace dots::cloud
