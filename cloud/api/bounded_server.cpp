#include "cloud/api/bounded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <memory>

namespace dots::cloud {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until `fd` is ready for `events`, at most `timeout`; false on timeout or error.
bool waitFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int ms = static_cast<int>(std::max<std::int64_t>(0, timeout.count()));
  int n = ::poll(&p, 1, ms);
  return n > 0 && (p.revents & (events | POLLHUP)) != 0;
}

void endpointOf(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
               : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (r != 0) return;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size());
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in->sin6_addr, text.data(), text.size());
    port = ntohs(in->sin6_port);
  }
  ip = text.data();
}

// One request's stream on a connection: buffered reads (cpp-httplib reads header lines a byte at
// a time), cut off beyond the request's byte budget or deadline. The transport (plain socket or
// TLS) is the subclass's.
class BoundedStream : public httplib::Stream {
 public:
  // `answering` is called once, when the answer starts (the first write).
  BoundedStream(int fd, const ConnectionBounds& bounds, std::function<void()> answering)
      : fd_(fd),
        bounds_(bounds),
        deadline_(Clock::now() + bounds.request_time),
        answering_(std::move(answering)) {}

  bool cutOff() const { return cut_off_; }

  bool is_readable() const override { return pending() || waitFor(fd_, POLLIN, waitTime()); }
  bool is_writable() const override { return waitFor(fd_, POLLOUT, bounds_.io_timeout); }

  ssize_t read(char* ptr, size_t size) override {
    if (begin_ == end_) {
      if (taken_ >= bounds_.request_bytes || Clock::now() >= deadline_) {
        cut_off_ = true;
        return -1;
      }
      if (!pending() && !waitFor(fd_, POLLIN, waitTime())) {
        if (Clock::now() >= deadline_) cut_off_ = true;
        return -1;
      }
      std::size_t room = std::min(buffer_.size(), bounds_.request_bytes - taken_);
      ssize_t n = receive(buffer_.data(), room);
      if (n <= 0) return n;
      taken_ += static_cast<std::size_t>(n);
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    std::size_t n = std::min(size, end_ - begin_);
    std::copy_n(buffer_.data() + begin_, n, ptr);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (answering_) {
      answering_();
      answering_ = nullptr;
    }
    if (!is_writable()) return -1;
    return send(ptr, size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    endpointOf(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    endpointOf(fd_, false, ip, port);
  }
  socket_t socket() const override { return fd_; }

  // Whether bytes of the next request already wait in the buffer (pipelining).
  bool buffered() const { return begin_ != end_; }

 protected:
  virtual ssize_t receive(char* ptr, std::size_t size) = 0;
  virtual ssize_t send(const char* ptr, std::size_t size) = 0;
  // Bytes the transport holds decoded already (TLS).
  virtual bool pending() const { return false; }

 private:
  std::chrono::milliseconds waitTime() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    return std::clamp(left, std::chrono::milliseconds(0), bounds_.io_timeout);
  }

  int fd_;
  const ConnectionBounds& bounds_;
  Clock::time_point deadline_;
  std::array<char, 4096> buffer_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t taken_ = 0;
  bool cut_off_ = false;
  std::function<void()> answering_;
};

class PlainStream final : public BoundedStream {
 public:
  using BoundedStream::BoundedStream;

 protected:
  ssize_t receive(char* ptr, std::size_t size) override { return ::recv(socket(), ptr, size, 0); }
  ssize_t send(const char* ptr, std::size_t size) override {
    return ::send(socket(), ptr, size, MSG_NOSIGNAL);
  }
};

class TlsStream final : public BoundedStream {
 public:
  TlsStream(int fd, const ConnectionBounds& bounds, SSL* ssl, std::function<void()> answering)
      : BoundedStream(fd, bounds, std::move(answering)), ssl_(ssl) {}

 protected:
  ssize_t receive(char* ptr, std::size_t size) override {
    int n = SSL_read(ssl_, ptr, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    return n > 0 ? n : -1;
  }
  ssize_t send(const char* ptr, std::size_t size) override {
    int n = SSL_write(ssl_, ptr, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
    return n > 0 ? n : -1;
  }
  bool pending() const override { return SSL_pending(ssl_) > 0; }

 private:
  SSL* ssl_;
};

// Blocking calls on the socket (the TLS handshake, OpenSSL's writes) give up after `timeout`.
void setSocketTimeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// Waits, in short slices so that a stopping server is noticed, for the next request of a
// kept-alive connection.
template <typename Stopped>
bool nextRequestArrives(int fd, std::chrono::milliseconds idle, const Stopped& stopped) {
  auto until = Clock::now() + idle;
  while (!stopped()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left <= std::chrono::milliseconds(0)) return false;
    if (waitFor(fd, POLLIN, std::min(left, std::chrono::milliseconds(100)))) return true;
  }
  return false;
}

// The keep-alive loop of one connection: `serve(last, closed)` serves one request on a fresh
// stream and returns {served, cut off}. Returns whether the last request was served.
template <typename Serve, typename Stopped>
bool serveConnection(int fd, const ConnectionBounds& bounds, const Stopped& stopped,
                     std::atomic<std::uint64_t>& cut_off, const Serve& serve) {
  bool ok = false;
  for (std::size_t left = bounds.keep_alive_requests; left > 0; --left) {
    if (!nextRequestArrives(fd, bounds.keep_alive, stopped)) break;
    bool closed = false;
    auto [served, cut] = serve(left == 1, closed);
    ok = served;
    if (cut) ++cut_off;
    if (!served || closed || cut) break;
  }
  return ok;
}

}  // namespace

ConnectionWatchdog::ConnectionWatchdog() : thread_([this] { run(); }) {}

ConnectionWatchdog::~ConnectionWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ConnectionWatchdog::arm(int fd, Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  deadlines_[fd] = deadline;
}

void ConnectionWatchdog::disarm(int fd) {
  std::lock_guard lock(mutex_);
  deadlines_.erase(fd);
}

void ConnectionWatchdog::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(200));
    auto now = Clock::now();
    for (auto it = deadlines_.begin(); it != deadlines_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      // Still armed, so not closed yet: the descriptor is the connection's.
      ::shutdown(it->first, SHUT_RDWR);
      ++expired_;
      it = deadlines_.erase(it);
    }
  }
}

void GrowingPool::enqueue(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  tasks_.push_back(std::move(fn));
  if (idle_ >= tasks_.size() || threads_.size() >= max_threads_) {
    wake_.notify_one();
    return;
  }
  threads_.emplace_back([this] { work(); });
}

void GrowingPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    --idle_;
    if (tasks_.empty()) return;  // stopping, nothing left
    auto fn = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    fn();
    lock.lock();
  }
}

void GrowingPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (std::thread& t : threads) t.join();
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  setSocketTimeouts(sock, keeper_.bounds.io_timeout);
  // Each request gets a fresh stream (its own budget and deadline); bytes already buffered for
  // the next one (a pipelined request) are not carried over, so such a client sees its
  // connection closed after the first response. Likewise over TLS.
  bool ok = serveConnection(
      sock, keeper_.bounds, [this] { return svr_sock_ == INVALID_SOCKET; }, keeper_.cut_off,
      [&](bool last, bool& closed) {
        keeper_.watchdog.arm(sock, Clock::now() + keeper_.bounds.answer_time);
        PlainStream strm(sock, keeper_.bounds, [&] { keeper_.watchdog.disarm(sock); });
        bool served = process_request(strm, last, closed, nullptr);
        if (strm.buffered()) closed = true;
        keeper_.watchdog.disarm(sock);
        return std::pair{served, strm.cutOff()};
      });
  keeper_.watchdog.disarm(sock);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

bool BoundedTlsServer::process_and_close_socket(socket_t sock) {
  setSocketTimeouts(sock, keeper_.bounds.io_timeout);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ssl_context()), &SSL_free);
  bool ok = false;
  // The handshake, like a request, has answer_time to finish.
  keeper_.watchdog.arm(sock, Clock::now() + keeper_.bounds.answer_time);
  bool accepted = ssl && SSL_set_fd(ssl.get(), sock) == 1 && SSL_accept(ssl.get()) == 1;
  keeper_.watchdog.disarm(sock);
  if (accepted) {
    ok = serveConnection(
        sock, keeper_.bounds, [this] { return svr_sock_ == INVALID_SOCKET; }, keeper_.cut_off,
        [&](bool last, bool& closed) {
          keeper_.watchdog.arm(sock, Clock::now() + keeper_.bounds.answer_time);
          TlsStream strm(sock, keeper_.bounds, ssl.get(), [&] { keeper_.watchdog.disarm(sock); });
          bool served = process_request(strm, last, closed, nullptr);
          if (strm.buffered()) closed = true;
          keeper_.watchdog.disarm(sock);
          return std::pair{served, strm.cutOff()};
        });
    SSL_shutdown(ssl.get());
  } else {
    ERR_clear_error();
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace dots::cloud
