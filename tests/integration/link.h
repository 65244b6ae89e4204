#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dots::itest {

// A TCP relay from a free loopback port to another loopback port: the network between a
// gateway and its uplink broker, which a test can cut (every connection closed, new ones
// refused) and restore.
class Link {
 public:
  explicit Link(int target_port);
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  int port() const { return port_; }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  void cut();
  void restore();

 private:
  struct Pair;
  void acceptLoop();
  static void pump(const std::shared_ptr<Pair>& pair, int from, int to);
  void closeAll();

  int target_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> up_{true};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::shared_ptr<Pair>> pairs_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace dots::itest
