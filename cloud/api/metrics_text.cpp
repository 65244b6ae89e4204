#include <sstream>

#include "cloud/api/ingest_view.h"
#include "shared/json/json_writer.h"

namespace dots::cloud {

namespace {

// Prometheus label value escaping.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void family(std::ostringstream& out, const char* name, const char* help) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n";
}

}  // namespace

std::string renderMetrics(const IngestView& v) {
  const IngestStats& s = v.stats;
  std::ostringstream out;
  std::string env = "environment=\"" + label(v.environment) + "\"";
  family(out, "dots_ingest_messages_total", "Messages taken from the broker.");
  out << "dots_ingest_messages_total{" << env << "} " << s.messages << "\n";
  family(out, "dots_ingest_batches_total", "Batches by outcome.");
  for (auto [outcome, n] :
       {std::pair{"stored", s.batches_stored}, std::pair{"duplicate", s.duplicates},
        std::pair{"other-environment", s.other_environment}}) {
    out << "dots_ingest_batches_total{" << env << ",outcome=\"" << outcome << "\"} " << n << "\n";
  }
  family(out, "dots_ingest_readings_total", "Readings of newly committed batches.");
  out << "dots_ingest_readings_total{" << env << "} " << s.readings_stored << "\n";
  family(out, "dots_ingest_rejected_total", "Messages rejected, by reason.");
  for (const auto& [reason, n] : s.rejected) {
    out << "dots_ingest_rejected_total{" << env << ",reason=\"" << label(reason) << "\"} " << n
        << "\n";
  }
  family(out, "dots_ingest_acks_total", "Ack messages published.");
  out << "dots_ingest_acks_total{" << env << "} " << s.acks_sent << "\n";
  family(out, "dots_endpoint_batches_total", "Batches committed per endpoint.");
  for (const auto& [gw, n] : s.endpoint_batches) {
    out << "dots_endpoint_batches_total{gateway=\"" << label(gw) << "\"} " << n << "\n";
  }
  family(out, "dots_endpoint_readings_total", "Readings committed per endpoint.");
  for (const auto& [gw, n] : s.endpoint_readings) {
    out << "dots_endpoint_readings_total{gateway=\"" << label(gw) << "\"} " << n << "\n";
  }
  family(out, "dots_stream_messages_total", "Messages taken from each stream.");
  for (const auto& [name, n] : s.stream_messages) {
    out << "dots_stream_messages_total{stream=\"" << label(name) << "\"} " << n << "\n";
  }
  family(out, "dots_stream_rejected_total", "Stream messages refused, by stream and reason.");
  for (const auto& [key, n] : s.stream_rejected) {
    out << "dots_stream_rejected_total{stream=\"" << label(key.first) << "\",reason=\""
        << label(key.second) << "\"} " << n << "\n";
  }
  family(out, "dots_notify_total", "Alert deliveries by outcome.");
  out << "dots_notify_total{target=\"mqtt\",outcome=\"delivered\"} " << v.notify.mqtt_delivered
      << "\n"
      << "dots_notify_total{target=\"webhook\",outcome=\"delivered\"} "
      << v.notify.webhook_delivered << "\n"
      << "dots_notify_total{target=\"any\",outcome=\"retry\"} " << v.notify.retries << "\n"
      << "dots_notify_total{target=\"any\",outcome=\"failed\"} " << v.notify.failed << "\n"
      << "dots_notify_total{target=\"webhook\",outcome=\"blocked\"} " << v.notify.blocked << "\n";
  family(out, "dots_handler_readings_total", "Readings into and out of each handler.");
  std::ostringstream other;
  family(other, "dots_handler_events_total", "Handler errors, alerts and suppressions.");
  for (const HandlerView& h : v.handlers) {
    std::string labels =
        "channel=\"" + label(h.channel) + "\",handler=\"" + label(h.handler) + "\"";
    out << "dots_handler_readings_total{" << labels << ",direction=\"in\"} " << h.in << "\n"
        << "dots_handler_readings_total{" << labels << ",direction=\"out\"} " << h.out << "\n";
    for (auto [event, n] : {std::pair{"error", h.errors}, std::pair{"alert", h.alerts},
                            std::pair{"suppressed", h.suppressed}}) {
      other << "dots_handler_events_total{" << labels << ",event=\"" << event << "\"} " << n
            << "\n";
    }
  }
  return out.str() + other.str();
}

std::string renderHealth(const IngestView& v) {
  json::Writer w;
  w.beginObject()
      .key("status")
      .string(v.broker_connected ? "ok" : "broker-disconnected")
      .key("environment")
      .string(v.environment)
      .key("broker_connected")
      .boolean(v.broker_connected)
      .key("batches_stored")
      .integer(v.stats.batches_stored)
      .key("readings_stored")
      .integer(v.stats.readings_stored)
      .endObject();
  return w.take();
}

}  // namespace dots::cloud
