// The fleet page: the account's gateways and their counters, refreshed every 2 s.
import { apiGet } from "./api.js";
import { el } from "./dom.js";

export function mountFleet(section, ctx) {
  const body = section.querySelector("tbody");
  const poller = ctx.poll(section, async () => {
    const gateways = await apiGet("gateways");
    body.replaceChildren(...gateways.map((g) => el("tr", { "data-gateway": g.gateway },
      el("td", {}, el("a", { href: `#/sensor?gateway=${encodeURIComponent(g.gateway)}` },
                      g.gateway)),
      el("td", {}, g.enabled ? "yes" : "no"),
      el("td", { class: "num" }, g.batches),
      el("td", { class: "num" }, g.readings))));
    return gateways.length ? "" : "This account has no gateways.";
  });
  return () => poller.stop();
}
