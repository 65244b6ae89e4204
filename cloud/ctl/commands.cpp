#include "ctl/commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/hex.h"
#include "core/text.h"
#include "pipeline/channel.h"
#include "registry/registry.h"
#include "store/reading_store.h"

namespace dots::ctl {

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kConflict = 3;
constexpr int kUsage = 2;

int report(const Context& ctx, const Error& e) {
  ctx.err << "dotsctl: " << e.describe() << "\n";
  if (e.reason == "exists" || e.reason.starts_with("no-such")) return kConflict;
  if (e.reason == "bad-handler" || e.reason == "bad-name" || e.reason == "bad-gateway-id" ||
      e.reason == "bad-broker" || e.reason == "bad-topic") {
    return kUsage;
  }
  return kFailed;
}

std::string valueText(const Reading& r, bool json) {
  switch (r.kind) {
    case ValueKind::kNumber: return formatDouble(r.value);
    case ValueKind::kBoolean: return r.value != 0 ? "true" : "false";
    case ValueKind::kText:
    case ValueKind::kData: return json ? jsonQuote(r.text) : csvField(r.text);
  }
  return "";
}

// Resolves the channel name to its id; an unknown channel is an error.
Result<cloud::ReadingFilter> filterOf(const Context& ctx, const ReadingQuery& q) {
  cloud::ReadingFilter f{q.gateway, q.sensor, {}, {}, {}};
  if (!q.channel) return f;
  std::size_t slash = q.channel->find('/');
  if (slash == std::string::npos) return fail("bad-name", "--channel is ACCOUNT/NAME");
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return std::unexpected(reg.error());
  auto channels = (*reg)->channels();
  if (!channels) return std::unexpected(channels.error());
  for (const auto& c : *channels) {
    if (c.account + "/" + c.name == *q.channel) {
      f.channel_id = c.id;
      return f;
    }
  }
  return fail("no-such-channel", "no channel " + *q.channel);
}

}  // namespace

int accountAdd(const Context& ctx, const std::string& name) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto account = (*reg)->addAccount(name);
  if (!account) return report(ctx, account.error());
  auto channel = (*reg)->addChannel(name, "default", "default", {"store"});
  if (!channel) return report(ctx, channel.error());
  ctx.out << "account " << account->name << " added, with channel default (store) in "
          << "environment default\n";
  return kOk;
}

int accountList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto accounts = (*reg)->accounts();
  if (!accounts) return report(ctx, accounts.error());
  if (json) {
    ctx.out << "[";
    for (std::size_t i = 0; i < accounts->size(); ++i) {
      ctx.out << (i ? "," : "") << R"({"name":)" << jsonQuote((*accounts)[i].name) << "}";
    }
    ctx.out << "]\n";
  } else {
    for (const auto& a : *accounts) ctx.out << a.name << "\n";
  }
  return kOk;
}

namespace {
void printGatewayConfig(const Context& ctx, const cloud::Endpoint& ep,
                        const EndpointSnippet& snippet) {
  std::string spool =
      snippet.spool.empty() ? "/var/lib/dots/spool-" + ep.gateway + ".db" : snippet.spool;
  // A complete dots-gateway config; the key is the secret that binds the gateway to its endpoint.
  ctx.out << "# dots-gateway config for gateway \"" << ep.gateway << "\" of account \""
          << ep.account
          << "\".\n# Keep it secret: the key seals this gateway's data. Every key is described in\n"
          << "# deploy/gateway.toml.\n"
          << "[gateway]\nid = " << jsonQuote(ep.gateway) << "\n\n"
          << "[uplink]\nbroker = " << jsonQuote(snippet.broker) << "\nkey_id = " << ep.active_key_id
          << "\nkey = \"" << toHex(ep.keys.at(ep.active_key_id)) << "\"\n\n"
          << "[local]\nbroker = " << jsonQuote(snippet.local_broker)
          << "\ntopics = [\"sensors/#\"]\n\n"
          << "[spool]\npath = " << jsonQuote(spool) << "\n";
}
}  // namespace

int endpointAdd(const Context& ctx, const std::string& account, const std::string& gateway,
                const EndpointSnippet& snippet, bool route_default) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto ep = (*reg)->addEndpoint(account, gateway);
  if (!ep) return report(ctx, ep.error());
  printGatewayConfig(ctx, *ep, snippet);
  ctx.err << "endpoint for gateway " << gateway << " added to account " << account << " (key id "
          << ep->active_key_id << ")";
  if (route_default) {
    auto route = (*reg)->addRoute(gateway, account, "default", "*");
    if (route)
      ctx.err << ", routed to channel " << route->channel;
    else if (route.error().reason != "no-such-channel")
      return report(ctx, route.error());
  }
  ctx.err << "\n";
  return kOk;
}

int endpointFleet(const Context& ctx, const std::string& account, const std::string& prefix,
                  std::size_t count, const std::string& channel, const std::string& keys_file) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  int fd = ::open(keys_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    ctx.err << "dotsctl: cannot write " << keys_file << ": " << std::strerror(errno) << "\n";
    return kFailed;
  }
  std::string lines;
  for (std::size_t i = 1; i <= count; ++i) {
    std::string gateway = prefix + std::to_string(i);
    auto ep = (*reg)->addEndpoint(account, gateway);
    if (!ep) {
      ::close(fd);
      return report(ctx, ep.error());
    }
    if (auto route = (*reg)->addRoute(gateway, account, channel, "*"); !route) {
      ::close(fd);
      return report(ctx, route.error());
    }
    lines += gateway + " " + toHex(ep->keys.at(ep->active_key_id)) + "\n";
  }
  bool written = ::write(fd, lines.data(), lines.size()) == static_cast<ssize_t>(lines.size());
  ::close(fd);
  if (!written) {
    ctx.err << "dotsctl: cannot write " << keys_file << "\n";
    return kFailed;
  }
  ctx.err << count << " endpoints " << prefix << "1.." << prefix << count << " added to account "
          << account << ", routed to channel " << channel << "; keys in " << keys_file << "\n";
  return kOk;
}

int endpointRotateKey(const Context& ctx, const std::string& gateway,
                      const EndpointSnippet& snippet) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto ep = (*reg)->rotateKey(gateway);
  if (!ep) return report(ctx, ep.error());
  printGatewayConfig(ctx, *ep, snippet);
  ctx.err << "gateway " << gateway << " now seals with key " << ep->active_key_id
          << "; older keys stay accepted until retired\n";
  return kOk;
}

int endpointRetireKey(const Context& ctx, const std::string& gateway, std::uint32_t key_id) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  if (auto r = (*reg)->retireKey(gateway, key_id); !r) return report(ctx, r.error());
  ctx.out << "key " << key_id << " of gateway " << gateway << " retired\n";
  return kOk;
}

int environmentAdd(const Context& ctx, const std::string& name, const std::string& owner) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto env = (*reg)->addEnvironment(name, owner);
  if (!env) return report(ctx, env.error());
  ctx.out << "environment " << name << " added"
          << (owner.empty() ? " (public)" : " (private to account " + owner + ")") << "\n";
  return kOk;
}

int environmentList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto list = (*reg)->environments();
  if (!list) return report(ctx, list.error());
  if (json) ctx.out << "[";
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& e = (*list)[i];
    if (json) {
      ctx.out << (i ? "," : "") << R"({"name":)" << jsonQuote(e.name) << R"(,"owner":)"
              << jsonQuote(e.owner) << "}";
    } else {
      ctx.out << e.name << "\t" << (e.owner.empty() ? "public" : "private to " + e.owner) << "\n";
    }
  }
  if (json) ctx.out << "]\n";
  return kOk;
}

int channelAdd(const Context& ctx, const std::string& account, const std::string& name,
               const std::string& environment, const std::vector<std::string>& handlers) {
  // Refuse what the ingester could not build.
  auto check = cloud::Channel::create(0, account, name, environment, handlers);
  if (!check) return report(ctx, check.error());
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto ch = (*reg)->addChannel(account, name, environment, handlers);
  if (!ch) return report(ctx, ch.error());
  ctx.out << "channel " << account << "/" << name << " added in environment " << environment
          << " with " << handlers.size() << " handlers\n";
  return kOk;
}

int channelList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto list = (*reg)->channels();
  if (!list) return report(ctx, list.error());
  if (json) ctx.out << "[";
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& c = (*list)[i];
    if (json) {
      ctx.out << (i ? "," : "") << R"({"account":)" << jsonQuote(c.account) << R"(,"name":)"
              << jsonQuote(c.name) << R"(,"environment":)" << jsonQuote(c.environment)
              << R"(,"handlers":[)";
      for (std::size_t j = 0; j < c.handlers.size(); ++j) {
        ctx.out << (j ? "," : "") << jsonQuote(c.handlers[j]);
      }
      ctx.out << "]}";
    } else {
      ctx.out << c.account << "/" << c.name << "\t" << c.environment << "\t";
      for (std::size_t j = 0; j < c.handlers.size(); ++j)
        ctx.out << (j ? " | " : "") << c.handlers[j];
      ctx.out << "\n";
    }
  }
  if (json) ctx.out << "]\n";
  return kOk;
}

int routeAdd(const Context& ctx, const std::string& gateway, const std::string& account,
             const std::string& channel, const std::string& sensors) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto r = (*reg)->addRoute(gateway, account, channel, sensors);
  if (!r) return report(ctx, r.error());
  ctx.out << "route " << gateway << " -> " << r->channel << " for sensors " << sensors << "\n";
  return kOk;
}

int routeRemove(const Context& ctx, const std::string& gateway, const std::string& account,
                const std::string& channel, const std::string& sensors) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  if (auto r = (*reg)->removeRoute(gateway, account, channel, sensors); !r)
    return report(ctx, r.error());
  ctx.out << "route " << gateway << " -> " << account << "/" << channel << " for sensors "
          << sensors << " removed\n";
  return kOk;
}

int routeList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto list = (*reg)->routes();
  if (!list) return report(ctx, list.error());
  if (json) ctx.out << "[";
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& r = (*list)[i];
    if (json) {
      ctx.out << (i ? "," : "") << R"({"gateway":)" << jsonQuote(r.gateway) << R"(,"channel":)"
              << jsonQuote(r.channel) << R"(,"sensors":)" << jsonQuote(r.sensors) << "}";
    } else {
      ctx.out << r.gateway << "\t" << r.channel << "\t" << r.sensors << "\n";
    }
  }
  if (json) ctx.out << "]\n";
  return kOk;
}

int streamAdd(const Context& ctx, const std::string& name, const std::string& account,
              const std::string& channel, const std::string& broker, const std::string& topic) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto s = (*reg)->addStream(name, account, channel, broker, topic);
  if (!s) return report(ctx, s.error());
  ctx.out << "stream " << name << ": " << broker << " " << topic << " -> " << s->channel << "\n";
  return kOk;
}

int streamList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto list = (*reg)->streams();
  if (!list) return report(ctx, list.error());
  if (json) ctx.out << "[";
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& s = (*list)[i];
    if (json) {
      ctx.out << (i ? "," : "") << R"({"name":)" << jsonQuote(s.name) << R"(,"channel":)"
              << jsonQuote(s.channel) << R"(,"environment":)" << jsonQuote(s.environment)
              << R"(,"broker":)" << jsonQuote(s.broker) << R"(,"topic":)" << jsonQuote(s.topic)
              << "}";
    } else {
      ctx.out << s.name << "\t" << s.channel << "\t" << s.environment << "\t" << s.broker << "\t"
              << s.topic << "\n";
    }
  }
  if (json) ctx.out << "]\n";
  return kOk;
}

int endpointList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto list = (*reg)->endpoints();
  if (!list) return report(ctx, list.error());
  if (json) ctx.out << "[";
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& ep = (*list)[i];
    if (json) {
      ctx.out << (i ? "," : "") << R"({"gateway":)" << jsonQuote(ep.gateway) << R"(,"account":)"
              << jsonQuote(ep.account) << R"(,"enabled":)" << (ep.enabled ? "true" : "false")
              << R"(,"key_id":)" << ep.active_key_id << "}";
    } else {
      ctx.out << ep.gateway << "\t" << ep.account << "\t" << (ep.enabled ? "enabled" : "disabled")
              << "\tkey " << ep.active_key_id << "\n";
    }
  }
  if (json) ctx.out << "]\n";
  return kOk;
}

int endpointEnable(const Context& ctx, const std::string& gateway, bool enabled) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  if (auto r = (*reg)->setEnabled(gateway, enabled); !r) return report(ctx, r.error());
  ctx.out << "endpoint " << gateway << (enabled ? " enabled" : " disabled") << "\n";
  return kOk;
}

int readingsCount(const Context& ctx, const ReadingQuery& q, bool json) {
  auto filter = filterOf(ctx, q);
  if (!filter) return report(ctx, filter.error());
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  auto counts = store->count(*filter);
  if (!counts) return report(ctx, counts.error());
  if (json) {
    ctx.out << R"({"count": )" << counts->count << R"(, "distinct": )" << counts->distinct << "}\n";
  } else {
    ctx.out << counts->count << " readings (" << counts->distinct
            << " distinct gateway/sensor/time)\n";
  }
  return kOk;
}

int readingsStats(const Context& ctx, const ReadingQuery& q, bool json) {
  auto filter = filterOf(ctx, q);
  if (!filter) return report(ctx, filter.error());
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  auto stats = store->stats(*filter);
  if (!stats) return report(ctx, stats.error());
  if (json)
    ctx.out << "[";
  else
    ctx.out << "gateway\tsensor\tunit\tcount\tfirst_ms\tlast_ms\n";
  for (std::size_t i = 0; i < stats->size(); ++i) {
    const auto& s = (*stats)[i];
    if (json) {
      ctx.out << (i ? "," : "") << R"({"gateway":)" << jsonQuote(s.gateway) << R"(,"sensor":)"
              << jsonQuote(s.sensor) << R"(,"unit":)" << jsonQuote(s.unit) << R"(,"count":)"
              << s.count << R"(,"first_ms":)" << s.first_ms << R"(,"last_ms":)" << s.last_ms << "}";
    } else {
      ctx.out << s.gateway << "\t" << s.sensor << "\t" << s.unit << "\t" << s.count << "\t"
              << s.first_ms << "\t" << s.last_ms << "\n";
    }
  }
  if (json) ctx.out << "]\n";
  return kOk;
}

int readingsRecent(const Context& ctx, const ReadingQuery& q, std::size_t limit, bool json) {
  auto filter = filterOf(ctx, q);
  if (!filter) return report(ctx, filter.error());
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  auto rows = store->recent(*filter, limit);
  if (!rows) return report(ctx, rows.error());
  if (json) ctx.out << "[";
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto& r = (*rows)[i];
    if (json) {
      ctx.out << (i ? "," : "") << R"({"gateway":)" << jsonQuote(r.gateway) << R"(,"sensor":)"
              << jsonQuote(r.reading.name) << R"(,"unit":)" << jsonQuote(r.reading.unit)
              << R"(,"time_ms":)" << r.reading.time_ms << R"(,"value":)"
              << valueText(r.reading, true) << "}";
    } else {
      ctx.out << r.gateway << "\t" << r.reading.name << "\t" << r.reading.time_ms << "\t"
              << valueText(r.reading, false) << (r.reading.unit.empty() ? "" : " ")
              << r.reading.unit << "\n";
    }
  }
  if (json) ctx.out << "]\n";
  return kOk;
}

int readingsExportCsv(const Context& ctx, const ReadingQuery& q) {
  auto filter = filterOf(ctx, q);
  if (!filter) return report(ctx, filter.error());
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  ctx.out << "gateway,sensor,time_ms,value\n";
  auto r = store->forEach(*filter, [&](const cloud::StoredReading& row) {
    ctx.out << csvField(row.gateway) << "," << csvField(row.reading.name) << ","
            << row.reading.time_ms << "," << valueText(row.reading, false) << "\n";
  });
  if (!r) return report(ctx, r.error());
  return kOk;
}

}  // namespace dots::ctl
