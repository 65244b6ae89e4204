#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "shared/error/error.h"
#include "shared/mqtt/connection.h"

namespace dots::mqtt {

struct Will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retained = true;
};

struct ClientOptions {
  std::string uri;  // tcp://host:port or ssl://host:port
  std::string client_id;
  // false keeps the session (subscriptions and queued QoS 1 messages) across reconnects.
  bool clean_session = true;
  std::chrono::seconds keep_alive{20};
  std::optional<Will> will;
  std::string username;
  std::string password;
  // TLS (ssl:// URIs only; checkTlsOptions says what is wrong): the server's certificate must be
  // signed by a CA in ca_file (PEM; required) and name the URI's host (DNS name or IP address
  // in its subjectAltName). cert_file and key_file (PEM, both or neither) are this client's
  // certificate and key, for brokers that log clients in by certificate.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  int max_inflight = 1024;
  // Messages queued inside the client before they reach the socket; beyond it publish()
  // fails with "busy" (back-pressure, try again).
  int max_buffered = 10000;
  // Reconnect delay: exponential from min to max, each delay jittered to 50-100% of itself so
  // that a fleet of gateways does not reconnect in lockstep.
  std::chrono::milliseconds min_backoff{200};
  std::chrono::milliseconds max_backoff{10000};
  std::string log_name = "mqtt";
  // Turns TCP_NODELAY on for the sockets this client's connect opened, so small packets leave at
  // once instead of waiting (up to 40 ms) for the peer's delayed ACK. Paho exposes no socket
  // options: the sockets are found as those the process opened while the connect ran, so one
  // that another thread opened at that moment gets the option too. false leaves the system's
  // default (Nagle on), which suits a client that mostly receives many small messages: its
  // PUBACKs then travel together.
  bool no_delay = true;
  // A message whose payload is larger is not handed to the message handler: it is checked in
  // Paho's arrival callback, before this adapter copies or forwards anything, and reported to
  // on_oversize (network thread) with its topic and size. 0: no limit.
  std::size_t max_message_bytes = 0;
  std::function<void(std::string_view topic, std::size_t bytes)> on_oversize;
  // Checked before every connect attempt with the broker's host and port (e.g. resolve and
  // refuse private addresses), and after the connect, before subscribing, with the address the
  // socket really reached (the connect's own sockets to that port): an error fails the attempt
  // (logged, retried with backoff) or drops the connection. Empty: no check. before_connect may
  // return the numeric address it checked: a tcp:// connect then goes to that address, with no
  // second lookup (ssl:// keeps the host name, which the certificate must name).
  std::function<Result<std::string>(const std::string& host, int port)> before_connect;
  std::function<Result<void>(const sockaddr* peer)> check_peer;
};

// What is wrong with an options' TLS settings: `field` is the ClientOptions member at fault
// ("ca_file", "cert_file", "key_file"), for the caller to name its own option.
struct TlsProblem {
  std::string field;
  std::string message;
};
// ssl:// needs a readable ca_file; cert_file and key_file come together and must be readable;
// a tcp:// URI takes none of the three (they would suggest a protection it does not have).
std::optional<TlsProblem> checkTlsOptions(const ClientOptions& options);

// The wait before reconnect attempt `attempt` (0-based): min * 2^attempt capped at max, then
// jittered uniformly to 50-100% of itself.
std::chrono::milliseconds reconnectDelay(int attempt, std::chrono::milliseconds min,
                                         std::chrono::milliseconds max, std::minstd_rand& rng);

// The Connection on Paho: a background thread connects, subscribes to every registered filter
// after each (re)connect, and retries with jittered exponential backoff. The only place that
// sees Paho types. publish() is thread-safe. onConnected handlers run on the connector thread.
// A failed connect is logged as a warning with its reason (for ssl://, what the TLS check
// found: e.g. "IP address mismatch") on the first failure after start or after a connection,
// then at debug level while it keeps failing. Options that checkTlsOptions refuses are logged as
// an error and never connect.
class Client final : public Connection {
 public:
  explicit Client(ClientOptions options);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void subscribe(std::string filter, int qos) override;
  void onMessage(MessageHandler handler) override;
  void onConnected(std::function<void()> handler) override;
  void onConnectionLost(std::function<void(const std::string& cause)> handler) override;

  void start() override;
  bool waitConnected(std::chrono::milliseconds timeout) override;
  bool isConnected() const override;

  using Connection::publish;
  Result<void> publish(std::string_view topic, std::span<const std::uint8_t> payload, int qos,
                       bool retained = false) override;

  // QoS 1/2 messages published but not yet acknowledged by the broker.
  std::size_t inflight() const;
  // Waits until inflight() < limit; false on timeout.
  bool waitInflightBelow(std::size_t limit, std::chrono::milliseconds timeout);

  void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dots::mqtt
