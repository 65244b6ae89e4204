#include "ctl/commands.h"

#include "core/hex.h"
#include "core/text.h"
#include "registry/registry.h"
#include "store/reading_store.h"

namespace dots::ctl {

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kConflict = 3;

int report(const Context& ctx, const Error& e) {
  ctx.err << "dotsctl: " << e.describe() << "\n";
  return e.reason == "exists" || e.reason.starts_with("no-such") ? kConflict : kFailed;
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

cloud::ReadingFilter filterOf(const ReadingQuery& q) {
  return {q.gateway, q.sensor};
}

}  // namespace

int accountAdd(const Context& ctx, const std::string& name) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto account = reg->addAccount(name);
  if (!account) return report(ctx, account.error());
  ctx.out << "account " << account->name << " added\n";
  return kOk;
}

int accountList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto accounts = reg->accounts();
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

int endpointAdd(const Context& ctx, const std::string& account, const std::string& gateway,
                const EndpointSnippet& snippet) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto ep = reg->addEndpoint(account, gateway);
  if (!ep) return report(ctx, ep.error());
  std::string spool =
      snippet.spool.empty() ? "/var/lib/dots/spool-" + gateway + ".db" : snippet.spool;
  // A complete dots-gateway config; the key is the secret that binds the gateway to its endpoint.
  ctx.out << "# dots-gateway config for gateway \"" << gateway << "\" of account \"" << account
          << "\".\n# Keep it secret: the key seals this gateway's data. Every key is described in\n"
          << "# deploy/gateway.toml.\n"
          << "[gateway]\nid = " << jsonQuote(gateway) << "\n\n"
          << "[uplink]\nbroker = " << jsonQuote(snippet.broker)
          << "\nkey_id = " << ep->active_key_id << "\nkey = \""
          << toHex(ep->keys.at(ep->active_key_id)) << "\"\n\n"
          << "[local]\nbroker = " << jsonQuote(snippet.local_broker)
          << "\ntopics = [\"sensors/#\"]\n\n"
          << "[spool]\npath = " << jsonQuote(spool) << "\n";
  ctx.err << "endpoint for gateway " << gateway << " added to account " << account << " (key id "
          << ep->active_key_id << ")\n";
  return kOk;
}

int endpointList(const Context& ctx, bool json) {
  auto reg = cloud::Registry::open(ctx.data_dir);
  if (!reg) return report(ctx, reg.error());
  auto list = reg->endpoints();
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
  if (auto r = reg->setEnabled(gateway, enabled); !r) return report(ctx, r.error());
  ctx.out << "endpoint " << gateway << (enabled ? " enabled" : " disabled") << "\n";
  return kOk;
}

int readingsCount(const Context& ctx, const ReadingQuery& q, bool json) {
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  auto counts = store->count(filterOf(q));
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
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  auto stats = store->stats(filterOf(q));
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
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  auto rows = store->recent(filterOf(q), limit);
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
  auto store = cloud::ReadingStore::open(ctx.data_dir);
  if (!store) return report(ctx, store.error());
  ctx.out << "gateway,sensor,time_ms,value\n";
  auto r = store->forEach(filterOf(q), [&](const cloud::StoredReading& row) {
    ctx.out << csvField(row.gateway) << "," << csvField(row.reading.name) << ","
            << row.reading.time_ms << "," << valueText(row.reading, false) << "\n";
  });
  if (!r) return report(ctx, r.error());
  return kOk;
}

}  // namespace dots::ctl
