#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace dots::cloud {

// What one connection may cost the HTTP server: each request's bytes (request line, headers and
// body together) and the time it may take to arrive, besides cpp-httplib's own per-read timeouts.
// cpp-httplib 0.11 reads any number of header lines into memory; these bounds stop a client that
// sends them without end, or one byte every few seconds, from holding memory or a worker.
struct ConnectionBounds {
  std::size_t request_bytes = (64u << 10) + (1u << 20);
  std::chrono::milliseconds request_time{10'000};  // from a request's first byte to its last
  std::chrono::milliseconds io_timeout{5'000};     // each wait for the peer
  std::chrono::milliseconds keep_alive{5'000};     // idle between requests
  std::size_t keep_alive_requests = 100;
  // From a request's first byte (or a TLS connection's first) until its answer starts: past it
  // the socket is shut down, which also ends a TLS handshake or record that trickles in (a
  // blocking OpenSSL call checks no deadline of its own). Covers the handler's own wait (a push
  // waits up to 15 s for its commit).
  std::chrono::milliseconds answer_time{30'000};
};

// Shuts down the sockets whose deadline has passed, on a thread of its own. A connection arms
// its deadline and disarms it (always before it closes the socket, so a reused descriptor is
// never shut down). Thread-safe.
class ConnectionWatchdog {
 public:
  ConnectionWatchdog();
  ~ConnectionWatchdog();
  void arm(int fd, std::chrono::steady_clock::time_point deadline);
  void disarm(int fd);
  std::uint64_t expired() const { return expired_.load(); }

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<int, std::chrono::steady_clock::time_point> deadlines_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> expired_{0};
  std::thread thread_;  // last: started once the rest is ready
};

// cpp-httplib's task queue for its connections: a thread per connection being served, up to
// `max_threads`, started as connections come (cpp-httplib's own pool has a fixed, small number
// of threads, which a few slow clients hold). Beyond it connections wait their turn.
class GrowingPool final : public httplib::TaskQueue {
 public:
  explicit GrowingPool(std::size_t max_threads) : max_threads_(max_threads) {}
  ~GrowingPool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  void work();

  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

// What each bounded server keeps: its bounds, the requests it cut off, and the watchdog.
struct ConnectionKeeper {
  explicit ConnectionKeeper(ConnectionBounds b) : bounds(b) {}
  std::uint64_t cutOff() const { return cut_off.load() + watchdog.expired(); }

  ConnectionBounds bounds;
  std::atomic<std::uint64_t> cut_off{0};
  ConnectionWatchdog watchdog;
};

// cpp-httplib's server with its connection loop replaced by one that keeps ConnectionBounds;
// routing, handlers and responses are cpp-httplib's. A request over its bytes or time is cut
// off (the connection closed) and counted.
class BoundedServer : public httplib::Server {
 public:
  explicit BoundedServer(ConnectionBounds bounds) : keeper_(bounds) {}
  std::uint64_t cutOff() const { return keeper_.cutOff(); }

 private:
  bool process_and_close_socket(socket_t sock) override;

  ConnectionKeeper keeper_;
};

// The same over TLS (OpenSSL, the certificate and key of cpp-httplib's SSLServer).
class BoundedTlsServer : public httplib::SSLServer {
 public:
  BoundedTlsServer(ConnectionBounds bounds, const char* cert_file, const char* key_file)
      : httplib::SSLServer(cert_file, key_file), keeper_(bounds) {}
  std::uint64_t cutOff() const { return keeper_.cutOff(); }

 private:
  bool process_and_close_socket(socket_t sock) override;

  ConnectionKeeper keeper_;
};

}  // namespace dots::cloud
