// The console's one way to the ingester's /api/v1: every request carries the signed-in token
// (kept in this tab's sessionStorage) and is bounded in time, so a slow answer never piles up
// requests behind it.

const kTokenKey = "dots.token";
const kRequestTimeoutMs = 8000;
// The API answers at most this many rows to one query (HttpOptions::max_limit).
export const kMaxLimit = 10000;

export class ApiError extends Error {
  constructor(status, reason, message) {
    super(message || reason || `HTTP ${status}`);
    this.status = status;
    this.reason = reason;
  }
}

export function token() {
  return sessionStorage.getItem(kTokenKey);
}

export function setToken(value) {
  sessionStorage.setItem(kTokenKey, value);
}

export function clearToken() {
  sessionStorage.removeItem(kTokenKey);
}

// GET /api/v1/<path>?<params>; resolves to the parsed JSON, rejects with an ApiError.
export async function apiGet(path, params = {}) {
  return apiCall("GET", path, params);
}

// POST /api/v1/<path> without a body.
export async function apiPost(path) {
  return apiCall("POST", path, {});
}

async function apiCall(method, path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const url = `/api/v1/${path}${query.toString() ? "?" + query : ""}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), kRequestTimeoutMs);
  let res;
  try {
    res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token() || ""}` },
      cache: "no-store",
      signal: abort.signal,
    });
  } catch (e) {
    throw new ApiError(0, "unreachable", abort.signal.aborted ? "the request timed out" : e.message);
  } finally {
    clearTimeout(timer);
  }
  if (res.ok) return res.json();
  let reason = "";
  let message = "";
  try {
    const body = await res.json();
    reason = body.error || "";
    message = body.message || "";
  } catch {
    // Not the API's JSON error: the status says enough.
  }
  throw new ApiError(res.status, reason, message);
}
