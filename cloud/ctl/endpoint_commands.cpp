// dotsctl's endpoint commands: provisioning gateways, their keys, enabling and listing.
#include <optional>
#include <sstream>

#include "cloud/ctl/commands.h"
#include "cloud/ctl/databases.h"
#include "cloud/ctl/exit_codes.h"
#include "cloud/registry/api_tokens.h"
#include "shared/app/private_files.h"
#include "shared/json/json_writer.h"
#include "shared/text/hex.h"
#include "shared/text/text.h"

namespace dots::ctl {

namespace {
void printGatewayConfig(std::ostream& out, const cloud::Endpoint& ep,
                        const EndpointSnippet& snippet) {
  std::string spool =
      snippet.spool.empty() ? "/var/lib/dots/spool-" + ep.gateway + ".db" : snippet.spool;
  // A complete dots-gateway config; the key is the secret that binds the gateway to its endpoint.
  // TOML basic strings take JSON's escapes, so jsonQuote writes them.
  out << "# dots-gateway config for gateway \"" << ep.gateway << "\" of account \"" << ep.account
      << "\".\n# Keep it secret: the key seals this gateway's data. Every key is described in\n"
      << "# deploy/gateway.toml.\n"
      << "[gateway]\nid = " << jsonQuote(ep.gateway) << "\n\n"
      << "[uplink]\nbroker = " << jsonQuote(snippet.broker) << "\nkey_id = " << ep.active_key_id
      << "\nkey = \"" << toHex(ep.keys.at(ep.active_key_id)) << "\"\n\n"
      << "[local]\nbroker = " << jsonQuote(snippet.local_broker) << "\ntopics = [\"sensors/#\"]\n\n"
      << "[spool]\npath = " << jsonQuote(spool) << "\n";
}
}  // namespace

int endpointAdd(const Context& ctx, const std::string& account, const std::string& gateway,
                const EndpointSnippet& snippet, bool route_default, const std::string& out_file) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    // The file is made first: a path that is refused provisions nothing.
    std::optional<app::PrivateFile> file;
    if (!out_file.empty()) {
      auto created = app::PrivateFile::create(out_file);
      if (!created) return report(ctx, created.error());
      file.emplace(std::move(*created));
    }
    auto ep = reg.addEndpoint(account, gateway);
    if (!ep) {
      if (file) file->discard();
      return report(ctx, ep.error());
    }
    if (file) {
      std::ostringstream config;
      printGatewayConfig(config, *ep, snippet);
      auto written = file->write(config.str());
      if (written) written = file->close();
      if (!written) {
        // The endpoint exists now; `endpoint rotate-key` prints a config with a new key.
        ctx.err << "dotsctl: " << written.error().describe() << " (the endpoint was added: "
                << "`dotsctl endpoint rotate-key --gateway " << gateway
                << "` prints a new config)\n";
        return kFailed;
      }
    } else {
      printGatewayConfig(ctx.out, *ep, snippet);
    }
    ctx.err << "endpoint for gateway " << gateway << " added to account " << account << " (key id "
            << ep->active_key_id << ")";
    if (file) ctx.err << ", config in " << out_file << " (mode 0600)";
    if (route_default) {
      auto route = reg.addRoute(gateway, account, "default", "*");
      if (route) {
        ctx.err << ", routed to channel " << route->channel;
      } else if (route.error().reason != "no-such-channel") {
        return report(ctx, route.error());
      }
    }
    ctx.err << "\n";
    return kOk;
  });
}

int endpointAddPush(const Context& ctx, const std::string& account, const std::string& endpoint,
                    bool route_default) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto ep = reg.addEndpoint(account, endpoint);
    if (!ep) return report(ctx, ep.error());
    std::string routed;
    if (route_default) {
      auto route = reg.addRoute(endpoint, account, "default", "*");
      if (route) {
        routed = ", routed to channel " + route->channel;
      } else if (route.error().reason != "no-such-channel") {
        return report(ctx, route.error());
      }
    }
    cloud::ApiToken spec;
    spec.name = "push " + endpoint;
    spec.account = account;
    spec.scopes = cloud::kScopeIngest;
    spec.endpoint = endpoint;
    std::string secret = cloud::newTokenSecret();
    auto token = reg.addToken(spec, cloud::tokenHash(secret));
    if (!token) return report(ctx, token.error());
    ctx.out << "push endpoint " << endpoint << " added to account " << account << routed
            << ": POST SenML JSON to /api/v1/push/" << endpoint
            << " with an Idempotency-Key header and this token (token " << token->id
            << ", scope ingest, shown once)\n"
            << secret << "\n";
    return kOk;
  });
}

int endpointFleet(const Context& ctx, const std::string& account, const std::string& prefix,
                  std::size_t count, const std::string& channel, const std::string& keys_file) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    // The file is made first: a path that is refused provisions nothing.
    auto file = app::PrivateFile::create(keys_file);
    if (!file) return report(ctx, file.error());
    std::string lines;
    for (std::size_t i = 1; i <= count; ++i) {
      std::string gateway = prefix + std::to_string(i);
      auto ep = reg.addEndpoint(account, gateway);
      if (!ep) {
        file->discard();
        return report(ctx, ep.error());
      }
      if (auto route = reg.addRoute(gateway, account, channel, "*"); !route) {
        file->discard();
        return report(ctx, route.error());
      }
      lines += gateway + " " + toHex(ep->keys.at(ep->active_key_id)) + "\n";
    }
    auto written = file->write(lines);
    if (written) written = file->close();
    if (!written) return report(ctx, written.error());
    ctx.err << count << " endpoints " << prefix << "1.." << prefix << count << " added to account "
            << account << ", routed to channel " << channel << "; keys in " << keys_file << "\n";
    return kOk;
  });
}

int endpointRotateKey(const Context& ctx, const std::string& gateway,
                      const EndpointSnippet& snippet) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto ep = reg.rotateKey(gateway);
    if (!ep) return report(ctx, ep.error());
    printGatewayConfig(ctx.out, *ep, snippet);
    ctx.err << "gateway " << gateway << " now seals with key " << ep->active_key_id
            << "; older keys stay accepted until retired\n";
    return kOk;
  });
}

int endpointRetireKey(const Context& ctx, const std::string& gateway, std::uint32_t key_id) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    if (auto r = reg.retireKey(gateway, key_id); !r) return report(ctx, r.error());
    ctx.out << "key " << key_id << " of gateway " << gateway << " retired\n";
    return kOk;
  });
}

int registryEncryptKeys(const Context& ctx) {
  if (ctx.kek_file.empty()) {
    return report(ctx, Error{"no-kek",
                             "registry encrypt-keys needs the key-encryption key: --kek-file FILE "
                             "(64 hex digits, e.g. from `openssl rand -hex 32`)"});
  }
  return withRegistry(
      ctx,
      [&](cloud::Registry& reg) {
        auto done = reg.encryptKeys();
        if (!done) return report(ctx, done.error());
        ctx.out << done->sealed << " keys encrypted, and " << done->secrets
                << " stream passwords and webhook secrets; every key and secret in " << ctx.data_dir
                << "/registry.db is now sealed under the key-encryption key\n";
        if (!done->scrubbed) {
          ctx.err << "dotsctl: warning: another process holds registry.db open, so the old "
                     "plaintext may remain in registry.db-wal: stop it and run this again\n";
        }
        return kOk;
      },
      /*allow_plaintext_keys=*/true);
}

int endpointList(const Context& ctx, bool json) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    auto list = reg.endpoints();
    if (!list) return report(ctx, list.error());
    if (json) {
      json::Writer w;
      w.beginArray();
      for (const auto& ep : *list) {
        w.beginObject()
            .key("gateway")
            .string(ep.gateway)
            .key("account")
            .string(ep.account)
            .key("enabled")
            .boolean(ep.enabled)
            .key("key_id")
            .integer(ep.active_key_id)
            .endObject();
      }
      ctx.out << w.endArray().str() << "\n";
      return kOk;
    }
    for (const auto& ep : *list) {
      ctx.out << ep.gateway << "\t" << ep.account << "\t" << (ep.enabled ? "enabled" : "disabled")
              << "\tkey " << ep.active_key_id << "\n";
    }
    return kOk;
  });
}

int endpointEnable(const Context& ctx, const std::string& gateway, bool enabled) {
  return withRegistry(ctx, [&](cloud::Registry& reg) {
    if (auto r = reg.setEnabled(gateway, enabled); !r) return report(ctx, r.error());
    ctx.out << "endpoint " << gateway << (enabled ? " enabled" : " disabled") << "\n";
    return kOk;
  });
}

}  // namespace dots::ctl
