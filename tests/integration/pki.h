#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace dots::itest {

// A test certificate authority made with openssl in `dir`: ca.crt, and certificates signed by
// it for servers (names in the subjectAltName) and for clients (the name as CN).
class TestPki {
 public:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {
    openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=Dots test CA", "-keyout", dir_ + "/ca.key", "-out", ca()});
  }

  std::string ca() const { return dir_ + "/ca.crt"; }
  std::string crt(const std::string& tag) const { return dir_ + "/" + tag + ".crt"; }
  std::string key(const std::string& tag) const { return dir_ + "/" + tag + ".key"; }

  // A server certificate `tag` for `san`, e.g. "IP:127.0.0.1" or "DNS:other.example".
  void server(const std::string& tag, const std::string& san) {
    sign(tag, "/CN=" + tag, "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth\n");
  }
  // A client certificate whose CN is `name` (the broker's user name with
  // use_identity_as_username).
  void client(const std::string& name) {
    sign(name, "/CN=" + name, "extendedKeyUsage=clientAuth\n");
  }

 private:
  void sign(const std::string& tag, const std::string& subject, const std::string& ext) {
    openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key(tag), "-out",
             dir_ + "/" + tag + ".csr"});
    writeFile(dir_ + "/" + tag + ".ext", ext);
    openssl({"x509", "-req", "-in", dir_ + "/" + tag + ".csr", "-CA", ca(), "-CAkey",
             dir_ + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile",
             dir_ + "/" + tag + ".ext", "-out", crt(tag)});
  }
  void openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "openssl");
    CommandResult r = run(args, dir_);
    INFO(r.err);
    REQUIRE(r.code == 0);
  }

  std::string dir_;
};

// A Mosquitto with one TLS listener on a free loopback port, serving certificate `tag` of
// `pki`; `global` lines go before the listener (anonymous clients are allowed unless they say
// otherwise), `listener_extra` lines into it.
class TlsBroker {
 public:
  TlsBroker(const std::string& dir, const TestPki& pki, const std::string& tag,
            const std::string& global = "allow_anonymous true\n",
            const std::string& listener_extra = "")
      : port_(freePort()) {
    std::string conf = dir + "/mosquitto-" + std::to_string(port_) + ".conf";
    // Started as root, Mosquitto would read the keys as its own user: it stays the test's user.
    writeFile(conf, "user root\nper_listener_settings false\n" + global +
                        "persistence false\nlistener " + std::to_string(port_) +
                        " 127.0.0.1\ncafile " + pki.ca() + "\ncertfile " + pki.crt(tag) +
                        "\nkeyfile " + pki.key(tag) + "\n" + listener_extra);
    process_ = std::make_unique<Process>(std::vector<std::string>{DOTS_MOSQUITTO, "-c", conf},
                                         dir + "/mosquitto-" + std::to_string(port_) + ".log");
    REQUIRE(waitFor([this] { return canConnect(port_); }, 10s));
  }
  std::string uri() const { return "ssl://127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::unique_ptr<Process> process_;
};

}  // namespace dots::itest
