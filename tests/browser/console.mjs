// The web console in a real browser: Debian's Chromium, driven by playwright-core, against a
// running dots-ingest that a gateway and dots-sim are feeding (tests/integration/console_test.cpp
// sets that up). Every wait is for a condition in the page, with a deadline.
//
// Usage: node console.mjs URL ACME_TOKEN BETA_TOKEN OUT_DIR
//   URL         the ingester's base URL (http://127.0.0.1:PORT)
//   ACME_TOKEN  a read token of account acme, whose gateway gw-a is publishing
//   BETA_TOKEN  a read token of account beta, whose only gateway is gw-b
//   OUT_DIR     where screenshots (console-*.png) and the browser's profile go
// Exits 0 after "console: all checks passed", 1 with the failed check otherwise.
// DOTS_CHROMIUM overrides /usr/bin/chromium.
import { mkdtempSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [url, acmeToken, betaToken, outDir] = process.argv.slice(2);
if (!url || !acmeToken || !betaToken || !outDir) {
  console.error("usage: node console.mjs URL ACME_TOKEN BETA_TOKEN OUT_DIR");
  process.exit(2);
}
const kDeadlineMs = 30000;
const kChromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                       "--disable-component-update", "--no-first-run"];

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
}

// Waits for `condition` (run in the page with `arg`) to hold, at most `timeout` ms.
async function waitUntil(page, what, condition, arg = null, timeout = kDeadlineMs) {
  try {
    await page.waitForFunction(condition, arg, { timeout, polling: 200 });
  } catch {
    throw new Error(`not within ${timeout} ms: ${what}`);
  }
  console.log(`ok: ${what}`);
}

async function screenshot(page, name) {
  const file = path.join(outDir, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

// A page's data-loaded counter (its successful refreshes).
function loads(page, section) {
  return page.$eval(`#page-${section}`, (s) => Number(s.dataset.loaded || 0));
}

async function signIn(page, token) {
  await page.fill("#token", token);
  await page.click("#sign-in-form button[type=submit]");
  await waitUntil(page, "signed in: the fleet page has loaded",
                  () => Number(document.getElementById("page-fleet").dataset.loaded || 0) > 0 &&
                        !document.getElementById("page-fleet").hidden);
}

async function signOut(page) {
  await page.click("#sign-out");
  await waitUntil(page, "signed out: the sign-in page shows",
                  () => !document.getElementById("page-sign-in").hidden);
  check(await page.evaluate(() => sessionStorage.length === 0), "signing out forgets the token");
}

async function openPage(page, name) {
  await page.click(`#nav a[data-page=${name}]`);
  await waitUntil(page, `the ${name} page has loaded`, (n) => {
    const section = document.getElementById(`page-${n}`);
    return !section.hidden && Number(section.dataset.loaded || 0) > 0;
  }, name);
}

async function chartState(page) {
  return page.$eval("#chart", (c) => ({
    readings: Number(c.dataset.readings || 0),
    points: Number(c.dataset.points || 0),
    width: Number(c.dataset.width || 0),
    lastMs: Number(c.dataset.lastMs || 0),
    canvases: c.querySelectorAll("canvas").length,
  }));
}

async function acme(page) {
  await page.goto(`${url}/`);
  check(page.url() === `${url}/console/`, "/ leads to /console/");
  await waitUntil(page, "the sign-in page shows",
                  () => !document.getElementById("page-sign-in").hidden);

  await page.fill("#token", `dots_${"0".repeat(64)}`);
  await page.click("#sign-in-form button[type=submit]");
  await waitUntil(page, "a wrong token is refused on the sign-in page",
                  () => document.getElementById("sign-in-error").textContent.includes("refused"));
  check(await page.evaluate(() => sessionStorage.length === 0), "a refused token is not kept");

  await signIn(page, acmeToken);
  check(await page.evaluate((t) => sessionStorage.getItem("dots.token") === t &&
                                   localStorage.length === 0, acmeToken),
        "the token is kept in sessionStorage only");
  await waitUntil(page, "the fleet lists gw-a online, with readings", () => {
    const row = document.querySelector('#fleet-table tr[data-gateway="gw-a"]');
    return row && row.cells[1].textContent === "online" && Number(row.cells[4].textContent) > 0;
  });
  check(await page.$$eval("#fleet-table tbody tr", (rows) => rows.length) === 1,
        "the fleet lists acme's one gateway only");
  await screenshot(page, "fleet");

  await page.click('#fleet-table tr[data-gateway="gw-a"] a');
  await waitUntil(page, "the sensor page charts gw-a's first sensor", () => {
    const chart = document.getElementById("chart");
    return !document.getElementById("page-sensor").hidden &&
           Number(chart.dataset.readings || 0) > 0 && chart.querySelector("canvas");
  });
  check(await page.$eval("#sensor-gateway", (s) => s.value) === "gw-a", "gw-a is chosen");
  const sensors = await page.$$eval("#sensor-name option", (os) => os.map((o) => o.value));
  check(sensors.includes("sensor-0001") && sensors.includes("sensor-0002"),
        `the sensors are listed (${sensors.join(", ")})`);
  await page.selectOption("#sensor-name", "sensor-0002");
  await waitUntil(page, "the chart switches to sensor-0002",
                  () => location.hash.includes("sensor=sensor-0002") &&
                        Number(document.getElementById("chart").dataset.readings || 0) > 0);
  const before = await chartState(page);
  await waitUntil(page, "new points appear on the chart while dots-sim publishes", (b) => {
    const c = document.getElementById("chart").dataset;
    return Number(c.readings) > b.readings && Number(c.lastMs) > b.lastMs;
  }, before);
  const after = await chartState(page);
  check(after.points <= after.width && after.points > 0 && after.readings > after.width,
        `thinned to no more points than pixels (${after.points} points, ${after.readings} readings, ` +
        `${after.width} px)`);
  check(after.canvases === 1, "one chart canvas");
  const loadsBefore = await loads(page, "sensor");
  await page.selectOption("#sensor-range", "2592000000");
  await waitUntil(page, "the 30-day range loads", (n) => {
    return location.hash.includes("range=2592000000") &&
           Number(document.getElementById("page-sensor").dataset.loaded) > n;
  }, loadsBefore);
  const wide = await chartState(page);
  check(wide.points <= wide.width && wide.readings >= after.readings,
        `the 30-day range keeps within the width (${wide.points} points, ${wide.width} px)`);
  const loadsWide = await loads(page, "sensor");
  await page.selectOption("#sensor-range", "900000");
  await waitUntil(page, "the 15-minute range loads again", (n) => {
    return location.hash.includes("range=900000") &&
           Number(document.getElementById("page-sensor").dataset.loaded) > n;
  }, loadsWide);
  await screenshot(page, "sensor");

  await openPage(page, "alerts");
  await waitUntil(page, "a threshold alert of gw-a appears on the alerts page", () => {
    return [...document.querySelectorAll("#alerts-table tbody tr")].some(
      (r) => r.dataset.gateway === "gw-a" && r.cells[4].textContent === "threshold");
  });
  const ids = await page.$$eval("#alerts-table tbody tr", (rows) => rows.map((r) => +r.dataset.alert));
  check(ids.every((id, i) => i === 0 || ids[i - 1] > id), `newest first (${ids.length} alerts)`);
  // Acknowledged from the page: the row then says by whom (the token's name) and when.
  const raised = await page.$eval('#alerts-table tbody tr[data-gateway="gw-a"].raised',
                                  (r) => r.dataset.alert);
  await page.click(`#alerts-table tr[data-alert="${raised}"] button.ack`);
  await waitUntil(page, "the alert shows it was acknowledged, and by whom", (id) => {
    const cell = document.querySelector(`#alerts-table tr[data-alert="${id}"] td.acked`);
    return cell && cell.textContent.startsWith("by console-test at ");
  }, raised);
  await screenshot(page, "alerts");

  await openPage(page, "channels");
  await waitUntil(page, "the channel watch shows its threshold handler counting readings", () => {
    const row = document.querySelector('[data-channel="watch"] tr[data-handler$=":threshold"]');
    return row && Number(row.cells[1].textContent) > 0 && Number(row.cells[4].textContent) > 0;
  });
  await screenshot(page, "channels");
  await signOut(page);
}

async function beta(page) {
  await signIn(page, betaToken);
  await waitUntil(page, "beta's fleet lists gw-b",
                  () => document.querySelector('#fleet-table tr[data-gateway="gw-b"]') !== null);
  const gateways = await page.$$eval("#fleet-table tbody tr", (rows) =>
    rows.map((r) => r.dataset.gateway));
  check(gateways.length === 1 && gateways[0] === "gw-b", `beta sees only gw-b (${gateways})`);
  await screenshot(page, "beta-fleet");

  await openPage(page, "alerts");
  const alerts = await page.$$eval("#alerts-table tbody tr", (rows) =>
    rows.map((r) => r.dataset.gateway));
  check(!alerts.includes("gw-a"), `beta sees none of acme's alerts (${alerts.length} listed)`);
  await screenshot(page, "beta-alerts");

  // Asked for acme's gateway by URL, beta's sensor page offers only beta's gateways.
  await page.evaluate(() => { location.hash = "#/sensor?gateway=gw-a"; });
  await waitUntil(page, "beta's sensor page has loaded", () =>
    !document.getElementById("page-sensor").hidden &&
    Number(document.getElementById("page-sensor").dataset.loaded || 0) > 0);
  const offered = await page.$$eval("#sensor-gateway option", (os) => os.map((o) => o.value));
  check(offered.length === 1 && offered[0] === "gw-b", `beta is offered only gw-b (${offered})`);
  await signOut(page);
}

const context = await chromium.launchPersistentContext(
  mkdtempSync(path.join(outDir, "chromium-profile-")), {
    executablePath: process.env.DOTS_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: kChromiumArgs,
    viewport: { width: 1280, height: 900 },
  });
let failed = null;
try {
  const page = context.pages()[0] || await context.newPage();
  // Anything the page logs as an error, apart from the refused token's 401 on purpose, fails the
  // run: a Content-Security-Policy violation, a script error, a failed request.
  const problems = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    if (m.text().includes("status of 401")) return;
    problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("response", (r) => {
    if (r.status() >= 400 && r.status() !== 401) problems.push(`${r.status()} ${r.url()}`);
  });
  await acme(page);
  await beta(page);
  check(problems.length === 0, `no errors in the page${problems.length ? ": " + problems : ""}`);
} catch (e) {
  failed = e;
  // What the page showed when a check failed.
  const page = context.pages()[0];
  if (page) {
    await screenshot(page, "failure").catch(() => {});
    const shown = await page.evaluate(() => document.querySelector("main").innerText)
      .catch(() => "");
    console.log(`the page showed:\n${shown}`);
  }
} finally {
  await context.close();
}
if (failed) {
  console.log(`console: FAILED: ${failed.message}`);
  process.exit(1);
}
console.log("console: all checks passed");
