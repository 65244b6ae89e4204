// The sensor page: one sensor's readings over a chosen range as a uPlot chart, refreshed every
// 2 s. The server folds the range into half as many buckets as the chart is pixels wide (each
// with its lowest and highest reading), so the chart never gets more points than pixels and a
// 30-day range costs the browser no more than 15 minutes.
import { apiGet } from "./api.js";
import { el, formatTime } from "./dom.js";
import { listSensors } from "./sensors.js";

const kChartHeight = 320;

function fillSelect(select, values, chosen) {
  select.replaceChildren(...values.map((v) => el("option", { value: v }, v)));
  if (values.includes(chosen)) select.value = chosen;
  return select.value;
}

export function mountSensor(section, params, ctx) {
  const gatewaySelect = section.querySelector("#sensor-gateway");
  const sensorSelect = section.querySelector("#sensor-name");
  const rangeSelect = section.querySelector("#sensor-range");
  const chartBox = section.querySelector("#chart");
  const choice = {
    gateway: params.get("gateway") || "",
    sensor: params.get("sensor") || "",
    range: params.get("range") || "900000",
  };
  rangeSelect.value = choice.range;
  if (rangeSelect.value !== choice.range) rangeSelect.value = choice.range = "900000";
  let gateways = null;  // loaded once per visit
  let sensorsOf = null;  // the gateway `sensors` belong to
  let sensors = [];
  let chart = null;
  // The x axis spans the chosen range up to the time of the last fetch, in seconds.
  const view = { from: 0, to: 0 };
  // Changes while a fetch is out make its answer stale.
  let generation = 0;

  const remember = () => {
    const query = new URLSearchParams(choice);
    history.replaceState(null, "", `#/sensor?${query}`);
  };

  const clearChart = () => {
    if (chart) chart.destroy();
    chart = null;
    chartBox.replaceChildren();
    chartBox.dataset.readings = "0";
    chartBox.dataset.points = "0";
    chartBox.dataset.lastMs = "";
  };

  // `buckets`: [{start_ms, end_ms, count, min, max, mean}] in time order.
  const draw = (buckets, label) => {
    const width = Math.max(200, Math.floor(chartBox.clientWidth));
    const times = [];
    const values = [];
    let readings = 0;
    for (const b of buckets) {
      readings += b.count;
      times.push(b.start_ms / 1000);
      values.push(b.min);
      if (b.max !== b.min) {
        times.push((b.start_ms + b.end_ms) / 2000);
        values.push(b.max);
      }
    }
    const data = [times, values];
    if (!chart || chart.series[1].label !== label) {
      clearChart();
      chart = new uPlot({
        width,
        height: kChartHeight,
        scales: { x: { time: true, range: () => [view.from, view.to] } },
        series: [{}, { label, stroke: "#2a6fdb", width: 1.5, points: { show: false } }],
      }, data, chartBox);
    } else {
      chart.setData(data);
    }
    const last = buckets.length ? buckets[buckets.length - 1] : null;
    chartBox.dataset.readings = String(readings);
    chartBox.dataset.points = String(times.length);
    chartBox.dataset.width = String(width);
    chartBox.dataset.lastMs = last ? String(last.end_ms) : "";
    let status = `${readings} readings in the range, ${times.length} points drawn`;
    if (last) status += `; the last before ${formatTime(last.end_ms)}`;
    return status;
  };

  const poller = ctx.poll(section, async () => {
    const asked = generation;
    if (!gateways) {
      gateways = (await apiGet("gateways")).map((g) => g.gateway);
      choice.gateway = fillSelect(gatewaySelect, gateways, choice.gateway);
    }
    if (!choice.gateway) return "This account has no gateways.";
    if (sensorsOf !== choice.gateway || sensors.length === 0) {
      sensors = await listSensors(choice.gateway);
      if (asked !== generation) return null;
      sensorsOf = choice.gateway;
      choice.sensor = fillSelect(sensorSelect, sensors.map((s) => s.name), choice.sensor);
      remember();
    }
    if (!choice.sensor) {
      clearChart();
      return "No readings from this gateway in the last 31 days.";
    }
    const to = Date.now();
    const from = to - Number(choice.range);
    const width = Math.max(200, Math.floor(chartBox.clientWidth));
    const rows = await apiGet("readings", {
      gateway: choice.gateway, sensor: choice.sensor, from, to, points: Math.floor(width / 2) });
    if (asked !== generation) return null;
    view.from = from / 1000;
    view.to = to / 1000;
    const unit = sensors.find((s) => s.name === choice.sensor)?.unit;
    return draw(rows, `${choice.gateway} / ${choice.sensor}${unit ? ` (${unit})` : ""}`);
  });

  const changed = () => {
    ++generation;
    if (gatewaySelect.value !== choice.gateway) {
      choice.gateway = gatewaySelect.value;
      choice.sensor = "";
      sensorsOf = null;
    } else {
      choice.sensor = sensorSelect.value;
    }
    choice.range = rangeSelect.value;
    remember();
    poller.kick();
  };
  const resized = () => {
    if (chart) chart.setSize({ width: Math.floor(chartBox.clientWidth), height: kChartHeight });
    poller.kick();
  };
  for (const select of [gatewaySelect, sensorSelect, rangeSelect]) {
    select.addEventListener("change", changed);
  }
  window.addEventListener("resize", resized);
  return () => {
    poller.stop();
    for (const select of [gatewaySelect, sensorSelect, rangeSelect]) {
      select.removeEventListener("change", changed);
    }
    window.removeEventListener("resize", resized);
    clearChart();
  };
}
