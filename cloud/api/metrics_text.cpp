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

void family(std::ostringstream& out, const char* name, const char* help,
            const char* type = "counter") {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
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
        std::pair{"dead-lettered", s.dead_lettered},
        std::pair{"other-environment", s.other_environment},
        std::pair{"not-acked-disk-low", s.disk_low_not_acked}}) {
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
  family(out, "dots_stream_dropped_disk_low_total",
         "Stream messages dropped while the disk was below the watermark.");
  out << "dots_stream_dropped_disk_low_total{" << env << "} " << s.disk_low_stream_dropped << "\n";
  family(out, "dots_store_disk_low", "1 while the data folder's disk is below the watermark.",
         "gauge");
  out << "dots_store_disk_low{" << env << "} " << (v.disk.low ? 1 : 0) << "\n";
  family(out, "dots_store_disk_free_bytes", "Free bytes on the data folder's disk.", "gauge");
  out << "dots_store_disk_free_bytes{" << env << "} " << v.disk.free_bytes << "\n";
  family(out, "dots_store_disk_min_free_bytes", "The free-disk watermark in force (0: off).",
         "gauge");
  out << "dots_store_disk_min_free_bytes{" << env << "} " << v.disk.min_free_bytes << "\n";
  family(out, "dots_store_disk_low_periods_total", "Times the disk went below the watermark.");
  out << "dots_store_disk_low_periods_total{" << env << "} " << v.disk.low_periods << "\n";
  family(out, "dots_store_retention_passes_total", "Retention passes, by outcome.");
  out << "dots_store_retention_passes_total{" << env << ",outcome=\"done\"} " << s.retention_passes
      << "\n"
      << "dots_store_retention_passes_total{" << env << ",outcome=\"failed\"} "
      << s.retention_failures << "\n";
  family(out, "dots_store_pruned_total", "Rows deleted by the retention passes, by kind.");
  for (auto [kind, n] :
       {std::pair{"readings", s.pruned_readings},
        std::pair{"reading_blocks", s.pruned_reading_blocks},
        std::pair{"aggregates", s.pruned_aggregates}, std::pair{"alerts", s.pruned_alerts},
        std::pair{"outbox", s.pruned_outbox}, std::pair{"ledger", s.pruned_ledger}}) {
    out << "dots_store_pruned_total{" << env << ",kind=\"" << kind << "\"} " << n << "\n";
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

bool healthy(const IngestView& v) {
  return v.broker_connected && !v.disk.low;
}

std::string renderHealth(const IngestView& v) {
  // The first reason that makes it unhealthy; a low disk first, as nothing is stored then. The
  // figures (free bytes, watermark) are on /metrics, which needs an operator token.
  const char* status = v.disk.low ? "disk-low" : !v.broker_connected ? "broker-disconnected" : "ok";
  // Nothing else: /healthz answers anyone.
  json::Writer w;
  w.beginObject().key("status").string(status).endObject();
  return w.take();
}

}  // namespace dots::cloud
