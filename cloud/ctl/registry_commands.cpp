// dotsctl's registry commands: accounts, environments, channels, routes and streams.
#include <algorithm>

#include "cloud/ctl/commands.h"
#include "cloud/ctl/databases.h"
#include "cloud/ctl/exit_codes.h"
#include "cloud/notify/webhook_directory.h"
#include "cloud/pipeline/channel.h"
#include "shared/config/secret_file.h"
#include "shared/json/json_writer.h"
#include "shared/seal/envelope.h"
#include "shared/text/hex.h"

namespace dots::ctl {

int accountAdd(const Context& ctx, const std::string& name) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto account = reg.addAccount(name);
    if (!account) return report(ctx, account.error());
    auto channel = reg.addChannel(name, "default", "default", {"store"});
    if (!channel) return report(ctx, channel.error());
    ctx.out << "account " << account->name << " added, with channel default (store) in "
            << "environment default\n";
    return kOk;
  });
}

int accountList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto accounts = reg.accounts();
    if (!accounts) return report(ctx, accounts.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& a : *accounts) w.beginObject().key("name").string(a.name).endObject();
      ctx.out << w.endArray().str() << "\n";
    } else {
      for (const auto& a : *accounts) ctx.out << a.name << "\n";
    }
    return kOk;
  });
}

int environmentAdd(const Context& ctx, const std::string& name, const std::string& owner) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto env = reg.addEnvironment(name, owner);
    if (!env) return report(ctx, env.error());
    ctx.out << "environment " << name << " added"
            << (owner.empty() ? " (public)" : " (private to account " + owner + ")") << "\n";
    return kOk;
  });
}

int environmentList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto list = reg.environments();
    if (!list) return report(ctx, list.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& e : *list) {
        w.beginObject().key("name").string(e.name).key("owner").string(e.owner).endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& e : *list) {
      ctx.out << e.name << "\t" << (e.owner.empty() ? "public" : "private to " + e.owner) << "\n";
    }
    return kOk;
  });
}

int channelAdd(const Context& ctx, const std::string& account, const std::string& name,
               const std::string& environment, const std::vector<std::string>& handlers) {
  // Refuse what the ingester could not build.
  auto check = cloud::Channel::create(0, account, name, environment, handlers);
  if (!check) return report(ctx, check.error());
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    std::map<std::string, std::string> secrets;
    for (const auto& url : cloud::webhookUrls(handlers)) {
      auto target = net::parseHttpUrl(url);
      if (!target) return report(ctx, target.error());
      if (auto r = checkDestination(reg, target->host, target->port, target->scheme == "http");
          !r) {
        return report(ctx, Error{r.error().reason, "webhook " + url + ": " + r.error().detail});
      }
      auto key = seal::randomKey();
      secrets[url] = toHex(key);
    }
    auto ch = reg.addChannel(account, name, environment, handlers, secrets);
    if (!ch) return report(ctx, ch.error());
    ctx.out << "channel " << account << "/" << name << " added in environment " << environment
            << " with " << handlers.size() << " handlers\n";
    // Shown this once: the receiver needs it to verify X-Dots-Signature.
    for (const auto& [url, secret] : secrets) {
      ctx.out << "webhook " << url << " secret " << secret << "\n";
    }
    return kOk;
  });
}

namespace {
void writeRetention(json::Writer& w, const cloud::Retention& r) {
  w.beginObject()
      .key("readings_s")
      .integer(r.readings_s)
      .key("aggregates_s")
      .integer(r.aggregates_s)
      .key("alerts_s")
      .integer(r.alerts_s)
      .endObject();
}

std::string describeRetention(const cloud::Retention& r) {
  auto period = [](std::int64_t s) {
    return s == 0 ? std::string("forever") : cloud::formatRetention(s);
  };
  return "readings " + period(r.readings_s) + ", aggregates " + period(r.aggregates_s) +
         ", alerts " + period(r.alerts_s);
}
}  // namespace

int channelRetention(const Context& ctx, const std::string& account, const std::string& name,
                     const RetentionArgs& args, bool json) {
  cloud::RetentionChange change;
  for (auto [text, period] : {std::pair{&args.readings, &change.readings_s},
                              std::pair{&args.aggregates, &change.aggregates_s},
                              std::pair{&args.alerts, &change.alerts_s}}) {
    if (!*text) continue;
    auto seconds = cloud::parseRetention(**text);
    if (!seconds) return report(ctx, seconds.error());
    *period = *seconds;
  }
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto ch = reg.setRetention(account, name, change);
    if (!ch) return report(ctx, ch.error());
    if (json) {
      json::Writer w;
      writeRetention(w, ch->retention);
      ctx.out << w.str() << "\n";
      return kOk;
    }
    ctx.out << "channel " << account << "/" << name << " keeps " << describeRetention(ch->retention)
            << "\n";
    return kOk;
  });
}

int channelList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto list = reg.channels();
    if (!list) return report(ctx, list.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& c : *list) {
        w.beginObject()
            .key("account")
            .string(c.account)
            .key("name")
            .string(c.name)
            .key("environment")
            .string(c.environment)
            .key("handlers")
            .beginArray();
        for (const auto& h : c.handlers) w.string(h);
        w.endArray().key("retention");
        writeRetention(w, c.retention);
        w.endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& c : *list) {
      ctx.out << c.account << "/" << c.name << "\t" << c.environment << "\t";
      const char* separator = "";
      for (const auto& h : c.handlers) {
        ctx.out << separator << h;
        separator = " | ";
      }
      ctx.out << "\n";
    }
    return kOk;
  });
}

int routeAdd(const Context& ctx, const std::string& gateway, const std::string& account,
             const std::string& channel, const std::string& sensors) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto r = reg.addRoute(gateway, account, channel, sensors);
    if (!r) return report(ctx, r.error());
    ctx.out << "route " << gateway << " -> " << r->channel << " for sensors " << sensors << "\n";
    return kOk;
  });
}

int routeRemove(const Context& ctx, const std::string& gateway, const std::string& account,
                const std::string& channel, const std::string& sensors) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    if (auto r = reg.removeRoute(gateway, account, channel, sensors); !r) {
      return report(ctx, r.error());
    }
    ctx.out << "route " << gateway << " -> " << account << "/" << channel << " for sensors "
            << sensors << " removed\n";
    return kOk;
  });
}

int routeList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto list = reg.routes();
    if (!list) return report(ctx, list.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& r : *list) {
        w.beginObject()
            .key("gateway")
            .string(r.gateway)
            .key("channel")
            .string(r.channel)
            .key("sensors")
            .string(r.sensors)
            .endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& r : *list)
      ctx.out << r.gateway << "\t" << r.channel << "\t" << r.sensors << "\n";
    return kOk;
  });
}

namespace {
// The registry's StreamAuth from the command line's; errors name dotsctl's options.
Result<cloud::StreamAuth> streamAuth(const StreamLogin& login) {
  cloud::StreamAuth auth{login.username, "", login.ca_file, login.cert_file, login.key_file};
  if (!login.password_file.empty()) {
    auto secret = config::readSecretFile(login.password_file);
    if (!secret) return fail(secret.error().reason, "--password-file: " + secret.error().detail);
    auth.password = std::move(*secret);
  }
  return auth;
}

// "ca_file is required..." becomes "--ca-file is required...".
Error withOptionName(Error e) {
  if (e.reason != "bad-tls") return e;
  std::size_t end = e.detail.find(' ');
  std::string field = e.detail.substr(0, end);
  std::replace(field.begin(), field.end(), '_', '-');
  e.detail = "--" + field + e.detail.substr(std::min(end, e.detail.size()));
  return e;
}
}  // namespace

int streamAdd(const Context& ctx, const std::string& name, const std::string& account,
              const std::string& channel, const std::string& broker, const std::string& topic,
              const StreamLogin& login, const cloud::StreamLimits& limits) {
  auto auth = streamAuth(login);
  if (!auth) return report(ctx, auth.error());
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto target = net::parseBrokerUri(broker);
    if (!target) return report(ctx, target.error());
    if (auto r = checkDestination(reg, target->host, target->port, false); !r) {
      return report(ctx, Error{r.error().reason, "broker " + broker + ": " + r.error().detail});
    }
    auto s = reg.addStream(name, account, channel, broker, topic, *auth, limits);
    if (!s) return report(ctx, withOptionName(s.error()));
    ctx.out << "stream " << name << ": " << broker << " " << topic << " -> " << s->channel << "\n";
    return kOk;
  });
}

int streamSet(const Context& ctx, const std::string& name, const StreamLogin& login) {
  auto auth = streamAuth(login);
  if (!auth) return report(ctx, auth.error());
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    if (auto r = reg.setStreamAuth(name, *auth); !r) return report(ctx, withOptionName(r.error()));
    ctx.out << "stream " << name << ": credentials and TLS files replaced\n";
    return kOk;
  });
}

int streamList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto list = reg.streams();
    if (!list) return report(ctx, list.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& s : *list) {
        w.beginObject()
            .key("name")
            .string(s.name)
            .key("channel")
            .string(s.channel)
            .key("environment")
            .string(s.environment)
            .key("broker")
            .string(s.broker)
            .key("topic")
            .string(s.topic)
            .key("username")
            .string(s.auth.username)
            .key("password_set")
            .boolean(!s.auth.password.empty())
            .key("ca_file")
            .string(s.auth.ca_file)
            .key("cert_file")
            .string(s.auth.cert_file)
            .key("key_file")
            .string(s.auth.key_file)
            .key("max_message_bytes")
            .integer(s.limits.max_message_bytes)
            .key("rate_per_s")
            .number(s.limits.rate_per_s)
            .key("queue")
            .integer(s.limits.queue)
            .endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& s : *list) {
      ctx.out << s.name << "\t" << s.channel << "\t" << s.environment << "\t" << s.broker << "\t"
              << s.topic << "\n";
    }
    return kOk;
  });
}

}  // namespace dots::ctl
