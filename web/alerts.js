// The alerts page: the account's alerts of the last 7 days, newest first, refreshed every 2 s.
import { apiGet } from "./api.js";
import { el, formatTime } from "./dom.js";

const kSpanMs = 7 * 86400000;
const kLimit = 1000;

export function mountAlerts(section, ctx) {
  const body = section.querySelector("tbody");
  const poller = ctx.poll(section, async () => {
    const alerts = await apiGet("alerts", { from: Date.now() - kSpanMs, limit: kLimit });
    // The API answers in stored (id) order.
    alerts.sort((a, b) => b.id - a.id);
    body.replaceChildren(...alerts.map((a) => el("tr",
      { "data-alert": a.id, "data-gateway": a.gateway, class: a.state },
      el("td", {}, formatTime(a.time_ms)),
      el("td", {}, a.gateway),
      el("td", {}, a.sensor),
      el("td", {}, a.channel),
      el("td", {}, a.kind),
      el("td", {}, a.state + (a.historical ? " (backfilled)" : "")),
      el("td", { class: "num" }, a.value),
      el("td", {}, a.message))));
    let status = alerts.length ? `${alerts.length} alerts in the last 7 days.`
                               : "No alerts in the last 7 days.";
    if (alerts.length >= kLimit) {
      status = `Only the first ${kLimit} alerts stored in the last 7 days are listed.`;
    }
    return status;
  });
  return () => poller.stop();
}
