#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shared/error/error.h"

namespace dots::net {

// An address range, "10.0.0.0/8", "fd00::/8" or a single address ("127.0.0.1" = /32).
struct Cidr {
  int family = AF_INET;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 0;

  // Errors: "bad-cidr".
  static Result<Cidr> parse(std::string_view text);
  bool contains(const sockaddr* address) const;
  std::string str() const;
};

// Where a URL or broker URI points: scheme ("http", "https", "tcp", "ssl"), host (without the
// brackets of an IPv6 literal), port and, for URLs, the path with its query ("/" when empty).
struct Destination {
  std::string scheme;
  std::string host;
  int port = 0;
  std::string path;
};

// Errors: "bad-url" (not http:// or https://, no host, a bad port, user info).
Result<Destination> parseHttpUrl(std::string_view url);
// Errors: "bad-broker" (not tcp://host:port or ssl://host:port).
Result<Destination> parseBrokerUri(std::string_view uri);

// The address classes a destination may not have unless allow-listed: "loopback", "private"
// (RFC 1918, RFC 6598 shared space, IPv6 ULA), "link-local" (169.254/16 with the cloud metadata
// address, fe80::/10), "unspecified", "multicast" (and broadcast), "reserved"; "" for a public
// address. IPv4-mapped IPv6 addresses are classed by their IPv4 address.
std::string_view blockedClass(const sockaddr* address);

// The numeric form of an address ("192.0.2.1", "2001:db8::1").
std::string addressText(const sockaddr* address);

// Decides whether this process may connect to an address: public addresses are allowed unless
// `plain` (http://, which only an allow-listed address may use); loopback, private, link-local,
// unspecified, multicast and reserved addresses only when an allow-listed range contains them.
// A value type; thread-safe to read.
class DestinationPolicy {
 public:
  DestinationPolicy() = default;
  explicit DestinationPolicy(std::vector<Cidr> allowed) : allowed_(std::move(allowed)) {}

  // Errors: "blocked-destination" (naming the address, its class and the allow-list command).
  Result<void> check(const sockaddr* address, bool plain) const;
  // Resolves `host` (getaddrinfo, TCP) and checks every address it gives; returns them in
  // numeric form, in the resolver's order. Errors: "unresolvable", "blocked-destination".
  Result<std::vector<std::string>> resolve(const std::string& host, int port, bool plain) const;
  const std::vector<Cidr>& allowed() const { return allowed_; }

 private:
  std::vector<Cidr> allowed_;
};

}  // namespace dots::net
