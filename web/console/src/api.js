// Calls to the billing-agent server (same origin). The API key lives in sessionStorage only (for
// this tab) and goes out as `Authorization: Bearer <key>`. Every failure becomes an ApiError with
// the server's own message: REST v1 `{"error":{"type","code","message","param"}}`, Mastra routes
// `{"error":"..."}`, or plain text.

const KEY_NAME = 'billing-console.apiKey';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    const e = body && typeof body.error === 'object' && body.error ? body.error : null;
    this.code = e ? e.code : undefined;
    this.param = e ? e.param : undefined;
  }
}

export function getKey() {
  try {
    return sessionStorage.getItem(KEY_NAME) || '';
  } catch {
    return '';
  }
}

export function setKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY_NAME, key);
    else sessionStorage.removeItem(KEY_NAME);
  } catch {
    /* storage unavailable: the key is simply not kept */
  }
  mePromise = null;
}

let unauthorizedHandler = () => {};
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

// For callers that use fetch themselves (the chat stream): report a 401 like request() does.
export function notifyUnauthorized(err) {
  unauthorizedHandler(err);
}

export function authHeaders() {
  const key = getKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export function errorText(status, data, text, statusText) {
  if (data && typeof data === 'object' && 'error' in data) {
    const e = data.error;
    if (typeof e === 'string' && e) return e;
    if (e && typeof e === 'object' && e.message) return e.message;
    if (data.message) return String(data.message);
  }
  const t = (text || '').trim();
  if (t && t.length < 300 && !t.startsWith('<')) return t;
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}

// request('/api/v1/invoices', {query: {status: 'overdue'}, method, body, signal})
export async function request(path, opts = {}) {
  const { method = 'GET', body, signal, query, quiet401 = false } = opts;
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const q = qs.toString();
    if (q) url += (url.includes('?') ? '&' : '?') + q;
  }
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, `The server cannot be reached (${e && e.message ? e.message : 'network error'})`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, errorText(res.status, data, text, res.statusText), data);
    if (res.status === 401 && !quiet401) unauthorizedHandler(err);
    throw err;
  }
  return data === null && text ? text : data;
}

export const isAbort = (e) => e && e.name === 'AbortError';

// The caller: GET /api/v1/me. A server without that route (404) is taken to grant every scope
// (the server still refuses what the key may not do).
let mePromise = null;
export function me() {
  if (!mePromise) {
    mePromise = request('/api/v1/me')
      .then((m) => ({ ...m, scopes: Array.isArray(m && m.scopes) ? m.scopes : [] }))
      .catch((e) => {
        if (e instanceof ApiError && e.status === 404) {
          return { object: 'principal', id: null, authenticated: !!getKey(), scopes: ['admin'], customerId: null, assumed: true };
        }
        mePromise = null;
        throw e;
      });
  }
  return mePromise;
}

export function resetMe() {
  mePromise = null;
}

// The scopes a page needs that the caller's key lacks ([] when unknown: the server decides).
export async function missingScopes(...scopes) {
  let p;
  try {
    p = await me();
  } catch {
    return [];
  }
  if (!p || p.assumed) return [];
  return scopes.filter((s) => !can(p, s));
}

export function can(principal, scope) {
  if (!principal) return false;
  const s = principal.scopes || [];
  return s.includes('admin') || s.includes(scope);
}
