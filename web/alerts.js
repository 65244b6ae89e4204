// The alerts page: the account's alerts of the last 7 days, newest first, refreshed every 2 s;
// a raised alert can be acknowledged (a token of scope command).
import { apiGet, apiPost } from "./api.js";
import { el, formatTime } from "./dom.js";

function ackCell(a, acknowledge) {
  if (a.acknowledged) {
    return el("td", { class: "acked" },
              `by ${a.acknowledged.by} at ${formatTime(a.acknowledged.at_ms)}`);
  }
  if (a.state !== "raised") return el("td", {}, "");
  const button = el("button", { type: "button", class: "ack" }, "Acknowledge");
  button.addEventListener("click", () => acknowledge(a.id, button));
  return el("td", {}, button);
}

const kSpanMs = 7 * 86400000;
const kLimit = 1000;

export function mountAlerts(section, ctx) {
  const body = section.querySelector("tbody");
  const status = section.querySelector(".status");
  let poller = null;
  const acknowledge = async (id, button) => {
    button.disabled = true;
    try {
      await apiPost(`alerts/${id}/ack`);
      poller.kick();
    } catch (e) {
      button.disabled = false;
      status.textContent = e.status === 403
        ? "This token may not acknowledge alerts (it needs the command scope)."
        : `Not acknowledged: ${e.message || e.reason || e.status}`;
    }
  };
  poller = ctx.poll(section, async () => {
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
      el("td", {}, a.message),
      ackCell(a, acknowledge))));
    let status = alerts.length ? `${alerts.length} alerts in the last 7 days.`
                               : "No alerts in the last 7 days.";
    if (alerts.length >= kLimit) {
      status = `Only the first ${kLimit} alerts stored in the last 7 days are listed.`;
    }
    return status;
  });
  return () => poller.stop();
}
