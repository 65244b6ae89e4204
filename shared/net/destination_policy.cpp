#include "shared/net/destination_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace dots::net {

namespace {

// The 16 bytes of an IPv6 address, or the 4 of an IPv4 one (mapped IPv6 addresses unwrapped).
struct Raw {
  int family = 0;
  std::array<std::uint8_t, 16> bytes{};
};

Raw rawOf(const sockaddr* address) {
  Raw r;
  // Copied out, not cast: a sockaddr may be less aligned than a sockaddr_in6 (32-bit ARM).
  if (address->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof(in));
    r.family = AF_INET;
    std::memcpy(r.bytes.data(), &in.sin_addr, 4);
  } else if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof(in6));
    const std::uint8_t* b = in6.sin6_addr.s6_addr;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMapped, 12) == 0) {
      r.family = AF_INET;
      std::memcpy(r.bytes.data(), b + 12, 4);
    } else {
      r.family = AF_INET6;
      std::memcpy(r.bytes.data(), b, 16);
    }
  }
  return r;
}

bool prefixMatches(const std::uint8_t* a, const std::uint8_t* b, int prefix) {
  int whole = prefix / 8;
  if (std::memcmp(a, b, static_cast<std::size_t>(whole)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

bool in4(const Raw& r, std::uint8_t a, std::uint8_t b, int prefix) {
  std::uint8_t net[4] = {a, b, 0, 0};
  return prefixMatches(r.bytes.data(), net, prefix);
}

Result<int> parsePort(std::string_view text, std::string_view reason) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return fail(std::string(reason), "bad port \"" + std::string(text) + "\"");
  }
  return port;
}

// "host[:port]" or "[v6]:port" into host and port (default_port when absent).
Result<Destination> splitAuthority(std::string_view authority, int default_port,
                                   std::string_view reason) {
  Destination d;
  d.port = default_port;
  if (authority.find('@') != std::string_view::npos) {
    return fail(std::string(reason), "user info in the address is not accepted");
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail(std::string(reason), "unclosed [");
    d.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return fail(std::string(reason), "junk after ]");
      port_text = rest.substr(1);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    d.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (d.host.empty()) return fail(std::string(reason), "no host");
  if (!port_text.empty() || default_port == 0) {
    auto port = parsePort(port_text, reason);
    if (!port) return std::unexpected(port.error());
    d.port = *port;
  }
  return d;
}

}  // namespace

Result<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  std::string_view address = text;
  int prefix = -1;
  if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty()) {
      return fail("bad-cidr", "bad prefix length in \"" + std::string(text) + "\"");
    }
  }
  std::string a(address);
  if (inet_pton(AF_INET, a.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET;
    if (prefix < 0) prefix = 32;
    if (prefix > 32) return fail("bad-cidr", "an IPv4 prefix is at most 32");
  } else if (inet_pton(AF_INET6, a.c_str(), c.bytes.data()) == 1) {
    c.family = AF_INET6;
    if (prefix < 0) prefix = 128;
    if (prefix > 128) return fail("bad-cidr", "an IPv6 prefix is at most 128");
  } else {
    return fail("bad-cidr",
                "\"" + std::string(text) +
                    "\" is not an address range (e.g. 127.0.0.0/8, 10.1.2.3, fd00::/8)");
  }
  c.prefix = prefix;
  // Keep the network part only, so "127.0.0.1/8" and "127.0.0.0/8" are the same range.
  for (int bit = prefix; bit < (c.family == AF_INET ? 32 : 128); ++bit) {
    c.bytes[static_cast<std::size_t>(bit / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  return c;
}

bool Cidr::contains(const sockaddr* address) const {
  Raw r = rawOf(address);
  if (r.family != family) return false;
  return prefixMatches(r.bytes.data(), bytes.data(), prefix);
}

std::string Cidr::str() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), text, sizeof(text));
  return std::string(text) + "/" + std::to_string(prefix);
}

Result<Destination> parseHttpUrl(std::string_view url) {
  Destination d;
  std::string_view rest;
  if (url.starts_with("https://")) {
    d.scheme = "https";
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    d.scheme = "http";
    rest = url.substr(7);
  } else {
    return fail("bad-url", "a webhook is an https:// (or allow-listed http://) URL");
  }
  std::size_t slash = rest.find_first_of("/?#");
  auto authority = splitAuthority(rest.substr(0, slash), d.scheme == "https" ? 443 : 80, "bad-url");
  if (!authority) return std::unexpected(authority.error());
  d.host = authority->host;
  d.port = authority->port;
  d.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (d.path.starts_with('?')) d.path = "/" + d.path;
  if (std::size_t hash = d.path.find('#'); hash != std::string::npos) d.path.resize(hash);
  if (d.path.empty()) d.path = "/";
  return d;
}

Result<Destination> parseBrokerUri(std::string_view uri) {
  Destination d;
  if (uri.starts_with("tcp://")) {
    d.scheme = "tcp";
  } else if (uri.starts_with("ssl://")) {
    d.scheme = "ssl";
  } else {
    return fail("bad-broker", "broker must be tcp://host:port or ssl://host:port");
  }
  auto authority = splitAuthority(uri.substr(6), 0, "bad-broker");
  if (!authority) return std::unexpected(authority.error());
  d.host = authority->host;
  d.port = authority->port;
  return d;
}

std::string_view blockedClass(const sockaddr* address) {
  Raw r = rawOf(address);
  const std::uint8_t* b = r.bytes.data();
  if (r.family == AF_INET) {
    if (in4(r, 0, 0, 8)) return "unspecified";
    if (in4(r, 127, 0, 8)) return "loopback";
    if (in4(r, 10, 0, 8) || in4(r, 172, 16, 12) || in4(r, 192, 168, 16) || in4(r, 100, 64, 10)) {
      return "private";
    }
    if (in4(r, 169, 254, 16)) return "link-local";
    // IETF protocol assignments and benchmarking networks: never a public service.
    if (in4(r, 192, 0, 24) || in4(r, 198, 18, 15)) return "reserved";
    if (in4(r, 224, 0, 4)) return "multicast";
    if (in4(r, 240, 0, 4)) return "reserved";  // and 255.255.255.255, the broadcast address
    return "";
  }
  if (r.family == AF_INET6) {
    static constexpr std::uint8_t kZero[16] = {};
    if (std::memcmp(b, kZero, 16) == 0) return "unspecified";
    if (std::memcmp(b, kZero, 15) == 0 && b[15] == 1) return "loopback";
    if ((b[0] & 0xfe) == 0xfc) return "private";  // fc00::/7 unique local (fd00:ec2::254 too)
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
    if (b[0] == 0xff) return "multicast";
    if (std::memcmp(b, kZero, 12) == 0) return "reserved";  // IPv4-compatible ::a.b.c.d
    // Prefixes that carry an IPv4 address a gateway or relay reaches for us (NAT64 64:ff9b::/96
    // and 64:ff9b:1::/48, both in 64:ff9b::/32; 6to4 2002::/16; SIIT ::ffff:0:a.b.c.d): the IPv4
    // address inside may be private or the metadata address, so they are refused unless
    // allow-listed.
    static constexpr std::uint8_t kNat64[4] = {0x00, 0x64, 0xff, 0x9b};
    static constexpr std::uint8_t kSiit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    if (std::memcmp(b, kNat64, 4) == 0 || std::memcmp(b, kSiit, 12) == 0) return "translated";
    if (b[0] == 0x20 && b[1] == 0x02) return "translated";  // 6to4
    return "";
  }
  return "reserved";
}

std::string addressText(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, address, sizeof(in));
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
  } else if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address, sizeof(in6));
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
  }
  return text;
}

Result<void> DestinationPolicy::check(const sockaddr* address, bool plain) const {
  for (const Cidr& c : allowed_) {
    if (c.contains(address)) return {};
  }
  std::string text = addressText(address);
  std::string_view cls = blockedClass(address);
  std::string hint = " (allow it with: dotsctl allow-list add " + text + ")";
  if (!cls.empty()) {
    std::string what(cls);
    if (text == "169.254.169.254") what += " (the cloud metadata address)";
    return fail("blocked-destination", text + " is a " + what + " address" + hint);
  }
  if (plain) {
    return fail(
        "blocked-destination",
        "plain http:// is only for allow-listed addresses; use https:// for " + text + hint);
  }
  return {};
}

Result<std::vector<std::string>> DestinationPolicy::resolve(const std::string& host, int port,
                                                            bool plain) const {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return fail("unresolvable", host + ": " + ::gai_strerror(rc));
  }
  std::vector<std::string> out;
  Result<void> verdict;
  for (addrinfo* a = found; a; a = a->ai_next) {
    if (auto r = check(a->ai_addr, plain); !r) {
      verdict = std::unexpected(Error{r.error().reason, host + ": " + r.error().detail});
      break;
    }
    std::string text = addressText(a->ai_addr);
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
  }
  ::freeaddrinfo(found);
  if (!verdict) return std::unexpected(verdict.error());
  if (out.empty()) return fail("unresolvable", host + ": no address");
  return out;
}

}  // namespace dots::net
