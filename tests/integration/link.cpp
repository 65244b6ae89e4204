#include "tests/integration/link.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "tests/integration/harness.h"

namespace dots::itest {

struct Link::Pair {
  int a = -1;  // the client's side
  int b = -1;  // the target's side
  std::atomic<int> open_pumps{2};
  std::mutex mutex;  // guards the descriptors against reuse once closed
  bool closed = false;

  void shutdownBoth() {
    std::lock_guard lock(mutex);
    if (closed) return;
    ::shutdown(a, SHUT_RDWR);
    ::shutdown(b, SHUT_RDWR);
  }
};

Link::Link(int target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("link: cannot listen on loopback");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

Link::~Link() {
  stop_ = true;
  acceptor_.join();
  closeAll();
  for (auto& t : pumps_) t.join();
  ::close(listen_fd_);
}

void Link::cut() {
  up_ = false;
  closeAll();
}

void Link::restore() {
  up_ = true;
}

void Link::closeAll() {
  std::lock_guard lock(mutex_);
  // shutdown() wakes both pumps of a pair; the last one to finish closes the descriptors.
  for (auto& pair : pairs_) pair->shutdownBoth();
  pairs_.clear();
}

void Link::acceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    int target = up_ ? connectLoopback(target_port_) : -1;
    if (target < 0) {
      ::close(client);
      continue;
    }
    auto pair = std::make_shared<Pair>();
    pair->a = client;
    pair->b = target;
    std::lock_guard lock(mutex_);
    pairs_.push_back(pair);
    pumps_.emplace_back([pair] { pump(pair, pair->a, pair->b); });
    pumps_.emplace_back([pair] { pump(pair, pair->b, pair->a); });
  }
}

void Link::pump(const std::shared_ptr<Pair>& pair, int from, int to) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n <= 0) break;
    ssize_t off = 0;
    while (off < n) {
      ssize_t w = ::send(to, buffer + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) break;
      off += w;
    }
    if (off < n) break;
  }
  pair->shutdownBoth();
  if (pair->open_pumps.fetch_sub(1) == 1) {
    std::lock_guard lock(pair->mutex);
    pair->closed = true;
    ::close(pair->a);
    ::close(pair->b);
  }
}

}  // namespace dots::itest
