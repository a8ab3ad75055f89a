// The console's only way to the server: the public HTTP API under /api/v3, called with the
// token the user pasted (kept in sessionStorage, so it ends with the browser tab).

const TOKEN_KEY = 'fieldwork.token';
const BASE = '/api/v3';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** ApiError is an error answer of the API: its status, message, failedCode and field errors. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.failedCode = (body && body.failedCode) || '';
    // fieldErrors (extension) pairs each problem with its field path: tasks[1].recipientName.
    this.fieldErrors = (body && body.fieldErrors) || [];
    this.body = body || {};
  }
}

/**
 * api calls the API and returns the decoded answer; an error answer throws ApiError. A 401
 * signs the user out (the token was revoked or expired) and tells the app to show sign-in.
 */
export async function api(method, path, body, extraHeaders) {
  const headers = { Accept: 'application/json', ...extraHeaders };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (err) {
    throw new ApiError(0, { message: `The server cannot be reached (${err.message}).` });
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // an empty or non-JSON answer: data stays null
  }
  if (res.status === 401 && token) {
    session.signOut();
    window.dispatchEvent(new Event('fieldwork:signed-out'));
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** query builds "?a=1&b=2" from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** path encodes one path segment (flow names may hold spaces and slashes). */
export const seg = (s) => encodeURIComponent(s);

// Lookups every page needs, fetched once per sign-in. A list the caller may not read (a
// Field User cannot list users) is just empty.
let cache = null;

export function lookups() {
  if (!cache) {
    const safe = (p) => p.catch(() => null);
    cache = Promise.all([
      safe(api('GET', '/hubs?limit=1000')),
      safe(api('GET', '/flows?limit=1000&sort_by=name&sort_order=asc')),
      safe(api('GET', '/users?limit=1000')),
    ]).then(([hubs, flows, users]) => ({
      hubs: (hubs && hubs.data) || [],
      flows: (flows && flows.flows && flows.flows.data) || [],
      users: (users && users.data) || [],
    }));
  }
  return cache;
}

/** forgetLookups drops the cached lists (after sign-out, or when flows may have changed). */
export function forgetLookups() {
  cache = null;
}
