// The fleet page: the account's gateways, online or offline as their status topic says, with
// their counters, refreshed every 2 s.
import { apiGet } from "./api.js";
import { el, formatTime } from "./dom.js";

function state(g) {
  if (!g.enabled) return "disabled";
  if (!g.status) return "no status yet";
  return g.online ? "online" : "offline";
}

export function mountFleet(section, ctx) {
  const body = section.querySelector("tbody");
  const poller = ctx.poll(section, async () => {
    const gateways = await apiGet("gateways");
    body.replaceChildren(...gateways.map((g) => el("tr", { "data-gateway": g.gateway },
      el("td", {}, el("a", { href: `#/sensor?gateway=${encodeURIComponent(g.gateway)}` },
                      g.gateway)),
      el("td", { class: `state ${g.online ? "online" : "offline"}` }, state(g)),
      el("td", {}, g.status ? formatTime(g.status.seen_ms) : ""),
      el("td", { class: "num" }, g.batches),
      el("td", { class: "num" }, g.readings),
      el("td", { class: "num" }, g.status ? g.status.spool_readings : ""),
      el("td", { class: "num" }, g.status ? g.status.dropped : ""),
      el("td", { class: "num" },
         g.status ? g.status.wire_bytes_per_reading.toFixed(1) : ""))));
    return gateways.length ? "" : "This account has no gateways.";
  });
  return () => poller.stop();
}
