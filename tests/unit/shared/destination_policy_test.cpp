#include "shared/net/destination_policy.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <string>

using namespace dots;
using namespace dots::net;

namespace {

// A socket address for a numeric IPv4 or IPv6 text.
struct Address {
  explicit Address(const std::string& text) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, text.c_str(), &in->sin_addr) == 1) {
      in->sin_family = AF_INET;
    } else {
      REQUIRE(inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr) == 1);
      in6->sin6_family = AF_INET6;
    }
  }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr_storage storage{};
};

std::string classOf(const std::string& text) {
  return std::string(blockedClass(Address(text).get()));
}

}  // namespace

TEST_CASE("destination classes: loopback, private, link-local, metadata, multicast, unspecified") {
  CHECK(classOf("127.0.0.1") == "loopback");
  CHECK(classOf("127.255.0.9") == "loopback");
  CHECK(classOf("::1") == "loopback");
  CHECK(classOf("10.0.0.1") == "private");
  CHECK(classOf("172.16.0.1") == "private");
  CHECK(classOf("172.31.255.255") == "private");
  CHECK(classOf("172.32.0.1") == "");
  CHECK(classOf("192.168.1.1") == "private");
  CHECK(classOf("100.64.0.1") == "private");
  CHECK(classOf("fd00::1") == "private");
  CHECK(classOf("fd00:ec2::254") == "private");  // a cloud's IPv6 metadata address
  CHECK(classOf("169.254.169.254") == "link-local");
  CHECK(classOf("fe80::1") == "link-local");
  CHECK(classOf("0.0.0.0") == "unspecified");
  CHECK(classOf("::") == "unspecified");
  CHECK(classOf("224.0.0.1") == "multicast");
  CHECK(classOf("ff02::1") == "multicast");
  CHECK(classOf("255.255.255.255") == "reserved");
  // IPv4-mapped IPv6 addresses are judged by their IPv4 address.
  CHECK(classOf("::ffff:169.254.169.254") == "link-local");
  CHECK(classOf("::ffff:127.0.0.1") == "loopback");
  CHECK(classOf("8.8.8.8") == "");
  CHECK(classOf("2001:4860:4860::8888") == "");
  // Benchmarking and protocol-assignment networks, and IPv6 prefixes that carry an IPv4 address.
  CHECK(classOf("198.18.0.1") == "reserved");
  CHECK(classOf("198.19.255.254") == "reserved");
  CHECK(classOf("198.20.0.1") == "");
  CHECK(classOf("192.0.0.170") == "reserved");
  CHECK(classOf("64:ff9b::a9fe:a9fe") == "translated");  // NAT64 of 169.254.169.254
  CHECK(classOf("64:ff9b:1::a00:1") == "translated");
  CHECK(classOf("2002:a9fe:a9fe::1") == "translated");  // 6to4
  CHECK(classOf("::ffff:0:a00:1") == "translated");     // SIIT
}

TEST_CASE("destination policy: blocked unless allow-listed, plain http only when allow-listed") {
  DestinationPolicy none;
  CHECK(none.check(Address("8.8.8.8").get(), false).has_value());
  auto blocked = none.check(Address("169.254.169.254").get(), false);
  REQUIRE(!blocked);
  CHECK(blocked.error().reason == "blocked-destination");
  CHECK(blocked.error().detail.find("metadata") != std::string::npos);
  CHECK(!none.check(Address("127.0.0.1").get(), false));
  CHECK(!none.check(Address("8.8.8.8").get(), true));  // http:// to a public address

  DestinationPolicy loopback({*Cidr::parse("127.0.0.0/8"), *Cidr::parse("2001:db8::/32")});
  CHECK(loopback.check(Address("127.0.0.1").get(), true).has_value());
  CHECK(loopback.check(Address("127.9.9.9").get(), false).has_value());
  CHECK(loopback.check(Address("::ffff:127.0.0.1").get(), false).has_value());
  CHECK(loopback.check(Address("2001:db8::5").get(), true).has_value());
  CHECK(!loopback.check(Address("::1").get(), false));  // IPv6 loopback is not in 127/8
  CHECK(!loopback.check(Address("10.0.0.1").get(), false));
}

TEST_CASE("destination policy: names are resolved and every address is checked") {
  DestinationPolicy none;
  auto r = none.resolve("127.0.0.1", 80, false);
  REQUIRE(!r);
  CHECK(r.error().reason == "blocked-destination");
  auto unknown = none.resolve("no-such-host.invalid", 80, false);
  REQUIRE(!unknown);
  CHECK(unknown.error().reason == "unresolvable");
  DestinationPolicy loopback({*Cidr::parse("127.0.0.0/8")});
  auto ok = loopback.resolve("127.0.0.1", 80, true);
  REQUIRE(ok);
  CHECK(ok->front() == "127.0.0.1");
}

TEST_CASE("cidr: parsed, normalised, refused when malformed") {
  CHECK(Cidr::parse("127.0.0.1/8")->str() == "127.0.0.0/8");
  CHECK(Cidr::parse("10.1.2.3")->str() == "10.1.2.3/32");
  CHECK(Cidr::parse("fd00::1/8")->str() == "fd00::/8");
  CHECK(Cidr::parse("172.16.0.0/12")->contains(Address("172.20.1.1").get()));
  CHECK(!Cidr::parse("172.16.0.0/12")->contains(Address("172.32.1.1").get()));
  for (const char* bad : {"", "127.0.0.0/33", "::/129", "localhost", "1.2.3.4/", "1.2.3.4/x"}) {
    CAPTURE(bad);
    auto c = Cidr::parse(bad);
    REQUIRE(!c);
    CHECK(c.error().reason == "bad-cidr");
  }
}

TEST_CASE("urls and broker uris: scheme, host, port, path") {
  auto u = parseHttpUrl("https://hooks.example.com/in?x=1");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "hooks.example.com");
  CHECK(u->port == 443);
  CHECK(u->path == "/in?x=1");
  u = parseHttpUrl("http://[::1]:8080");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->port == 8080);
  CHECK(u->path == "/");
  for (const char* bad : {"ftp://x/", "https://", "https://a:0/", "https://a:99999/",
                          "https://user@host/", "https://[::1/"}) {
    CAPTURE(bad);
    CHECK(!parseHttpUrl(bad));
  }
  auto b = parseBrokerUri("ssl://broker.example.com:8883");
  REQUIRE(b);
  CHECK(b->host == "broker.example.com");
  CHECK(b->port == 8883);
  CHECK(!parseBrokerUri("tcp://host"));  // the port is required
  CHECK(!parseBrokerUri("mqtt://host:1883"));
}
