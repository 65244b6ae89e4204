// The channels page: each channel's handlers and their counters, refreshed every 2 s.
import { apiGet } from "./api.js";
import { el } from "./dom.js";

const kCounters = ["in", "out", "errors", "alerts", "suppressed"];

export function mountChannels(section, ctx) {
  const list = section.querySelector("#channels-list");
  const poller = ctx.poll(section, async () => {
    const channels = await apiGet("channels");
    list.replaceChildren(...channels.map((c) => el("div",
      { class: "channel", "data-channel": c.name },
      el("h2", {}, c.name),
      el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "Handler"),
                           ...kCounters.map((k) => el("th", { class: "num" }, k)))),
        el("tbody", {}, ...c.handlers.map((h) => el("tr", { "data-handler": h.handler },
          el("td", {}, h.handler),
          ...kCounters.map((k) => el("td", { class: "num" }, h[k])))))))));
    return channels.length ? "" : "This account has no channels.";
  });
  return () => poller.stop();
}
