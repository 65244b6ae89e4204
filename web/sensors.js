// A gateway's sensors, from /api/v1/gateways/ID/sensors (the last 31 days).
import { apiGet } from "./api.js";

// Resolves to [{name, unit, latest}] sorted by name.
export async function listSensors(gateway) {
  const rows = await apiGet(`gateways/${encodeURIComponent(gateway)}/sensors`);
  return rows
    .map((row) => ({ name: row.sensor, unit: row.unit, latest: row.latest }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
