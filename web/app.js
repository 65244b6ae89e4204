// The console's pages, one at a time by the URL's hash (#/fleet, #/sensor?gateway=G&sensor=S,
// #/alerts, #/channels); without a token, the sign-in page.
import { ApiError, apiGet, clearToken, setToken, token } from "./api.js";
import { mountAlerts } from "./alerts.js";
import { mountChannels } from "./channels.js";
import { setStatus } from "./dom.js";
import { mountFleet } from "./fleet.js";
import { poll } from "./poller.js";
import { mountSensor } from "./sensor.js";

const pages = {
  fleet: (section, params, ctx) => mountFleet(section, ctx),
  sensor: mountSensor,
  alerts: (section, params, ctx) => mountAlerts(section, ctx),
  channels: (section, params, ctx) => mountChannels(section, ctx),
};

let unmount = null;

function signOut(message = "") {
  clearToken();
  document.getElementById("sign-in-error").textContent = message;
  route();
}

// What pages share: a refresh every 2 s whose result is the page's status line; a page counts
// its successful refreshes in data-loaded; a refused token signs out.
const ctx = {
  poll(section, refresh) {
    return poll(async () => {
      try {
        const status = await refresh();
        if (status === null) return;  // a stale answer, dropped
        setStatus(section, status);
        section.dataset.loaded = String(Number(section.dataset.loaded || 0) + 1);
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          signOut(`The token is no longer accepted (${e.message}). Sign in again.`);
        } else {
          setStatus(section, `Could not load: ${e.message}`, true);
        }
      }
    });
  },
};

function route() {
  if (unmount) unmount();
  unmount = null;
  const [name, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  for (const section of document.querySelectorAll(".page")) section.hidden = true;
  const signedIn = Boolean(token());
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  if (!signedIn) {
    document.getElementById("page-sign-in").hidden = false;
    document.getElementById("token").focus();
    return;
  }
  if (!pages[name]) {
    location.replace("#/fleet");
    return;
  }
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("current", link.dataset.page === name);
  }
  const section = document.getElementById(`page-${name}`);
  section.dataset.loaded = "0";
  section.hidden = false;
  unmount = pages[name](section, new URLSearchParams(query), ctx);
}

async function signIn(event) {
  event.preventDefault();
  const input = document.getElementById("token");
  const error = document.getElementById("sign-in-error");
  const value = input.value.trim();
  if (!value) return;
  error.textContent = "";
  setToken(value);
  try {
    await apiGet("gateways");
  } catch (e) {
    clearToken();
    if (e.status === 401) error.textContent = `The token was refused: ${e.message}.`;
    else if (e.status === 403) error.textContent = "The token lacks the scope read.";
    else error.textContent = `Could not sign in: ${e.message}`;
    return;
  }
  input.value = "";
  if (location.hash === "#/fleet") route();
  else location.hash = "#/fleet";
}

document.getElementById("sign-in-form").addEventListener("submit", signIn);
document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", route);
route();
