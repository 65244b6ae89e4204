// A gateway's sensors. There is no sensors route yet: they are derived from the gateway's
// recent readings (the last 31 days, at most kMaxLimit rows), so a sensor that reported only
// long ago, or only outside those rows, is missing. When a sensors route comes, only this file
// changes.
import { apiGet, kMaxLimit } from "./api.js";

// Resolves to [{name, unit}] sorted by name.
export async function listSensors(gateway) {
  const rows = await apiGet("readings", { gateway, limit: kMaxLimit });
  const units = new Map();
  for (const row of rows) {
    if (!units.has(row.sensor)) units.set(row.sensor, row.unit);
  }
  return [...units.entries()]
    .map(([name, unit]) => ({ name, unit }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
