#!/usr/bin/env node
// Browser test: the stock Mastra Studio (the playground of mastra@0.18.9, which pairs with @mastra/server 0.24.9;
// what npm resolves on Node 20) in front of the real billing-agent binary, driven by Debian's Chromium.
//
//   cd tests/studio && npm ci
//   node tests/studio/studio.test.mjs --binary build/release/billing-agent [--out DIR] [--ports 4500-4599]
//
// It starts the binary on a free port over a fresh SQLite file (development mode, --run-interval off), starts
// serve.mjs in front of it (the Studio and the API on one origin, as `mastra dev` does), and then opens every page
// of the Studio's sidebar. On each page: no /api request answers 404 or >= 500 (or any other error status), no
// console error and no page error, except the allowlists below (what the stock Mastra 0.24.9 server also causes),
// and no request leaves the machine (two outside hosts get local stand-ins, see STAND_INS below). It also chats in
// Stream mode, runs a tool, edits working memory, counts the MCP server's tools and shows the Templates page's
// built-in template; and, last (their traces would otherwise be the newest the Observability checks open), chats
// with "Require Tool Approval" (Model Settings) and approves the tool call in one chat and declines it in another,
// and chats with the "Generate" chat method, then resets the chat settings. One screenshot per check goes to --out
// (default tests/studio/test-output). Exit 0 when every check passes. Every wait is bounded; the whole run is
// stopped after 4 minutes.
//
// Not covered: the MCP transports the MCP server page advertises (/api/mcp/:id/mcp and /sse; the Studio only shows
// them, and compat_mcp drives both with the MCP SDK); choosing another model in the model picker (it is not
// exercised; model_switch_e2e and compat_client_js switch models); a template's own page (see TEMPLATES below).
// --out also gets api.jsonl: every API call the Studio made through serve.mjs, with its status.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const T0 = Date.now();
const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const BINARY = path.resolve(arg('binary', process.env.BILLING_AGENT_BINARY || ''));
const OUT = path.resolve(arg('out', path.join(here, 'test-output')));
const PORTS = arg('ports', process.env.STUDIO_TEST_PORTS || '');  // e.g. 4500-4599; default: the OS picks
const CHROMIUM = arg('chromium', process.env.CHROMIUM || '/usr/bin/chromium');
const TOTAL_BUDGET_MS = 4 * 60 * 1000 - 10000;  // the whole run, cleanup included, stays under 4 minutes

const AGENT = 'billingApiAgent';
const QUESTION = 'What is the outstanding balance of CUST-001?';
const BALANCE = '$2,450.00';
const WORKING_MEMORY = '# Billing notes\n- **Customer**: CUST-001\n- **Contact preferences**: invoices by email, studio test';

// ------------------------------------------------------------------------------------------------ allowlists
// Console errors the stock Mastra 0.24.9 server also produces with this Studio (measured by running the same
// Studio in front of a real @mastra/deployer 0.24.9 server; see the comparison in the Studio probe). Chromium logs
// "Failed to load resource" for every failed fetch, so each allowed failing request shows up here too.
const CONSOLE_ALLOW = [
  {
    id: 'voice-speakers',
    text: /^Failed to load resource: the server responded with a status of 400 \(Bad Request\)$/,
    url: /\/api\/agents\/[^/]+\/voice\/speakers(\?|$)/,
    why: 'The chat asks GET /api/agents/:id/voice/speakers on every mount (twice, each retried 3 times). With no voice ' +
      'provider stock answers 500 {"error":"No voice provider configured"}; billing-agent answers 400 with the same ' +
      'message. Any error makes the Studio fall back to browser dictation, which is the intended behaviour.',
  },
  {
    id: 'new-thread-messages',
    text: /^Failed to load resource: the server responded with a status of 404 \(Not Found\)$/,
    url: /\/api\/memory\/threads\/[0-9a-f-]{36}\/messages(\?|$)/,
    why: 'A new chat gets a client-made UUID as its thread id, and the Studio reads GET /api/memory/threads/<uuid>/messages ' +
      'before the first message creates that thread; stock answers 404 there too, and the Studio shows an empty chat. ' +
      'Only allowed for a thread this test has not chatted in yet (answered before its first chat request was).',
    when: (url, t) => !(t >= chattedThreads.get(threadOf(url))),
  },
  {
    id: 'resumed-stream-tool-result',
    text: /^Error processing stream response: Error: tool_result must be preceded by a tool_call(\n|$)/,
    checks: /^chat-approval-(approved|declined)$/,
    why: 'Approve and Decline answer with a new stream that continues the suspended run; its first chunk is the ' +
      'tool-result (stock 0.24.9 too, measured with a mock model: resumeStream restarts the agentic loop at the tool ' +
      'step, so no "start" and no second "tool-call"). The Studio\'s client (processStreamResponse, also used for ' +
      'approve-tool-call and decline-tool-call) feeds every stream to its client-side-tool helper ' +
      'processChatResponse_vNext with no previous message, which throws on a tool-result whose tool-call it has not ' +
      'seen, and logs this. Only that helper stops; the chat shows the tool result and the answer. Only allowed in ' +
      'the approval checks.',
  },
];
// /api answers that are errors on purpose, the same as stock (see CONSOLE_ALLOW for why).
const STATUS_ALLOW = [
  { id: 'voice-speakers', method: 'GET', path: /^\/api\/agents\/[^/]+\/voice\/speakers$/, status: 400 },
  { id: 'new-thread-messages', method: 'GET', path: /^\/api\/memory\/threads\/[0-9a-f-]{36}\/messages$/, status: 404,
    when: (url, t) => !(t >= chattedThreads.get(threadOf(url))) },
];
// Threads the test chatted in: thread id -> when its first chat request was answered (from then on it exists).
const chattedThreads = new Map();
const threadOf = (url) => url.match(/\/memory\/threads\/([^/?]+)/)?.[1];
// Requests to other hosts. The Studio fetches two things from the internet from the browser, whatever the telemetry
// setting; the machine is offline, so the test answers them itself (stand-ins for the internet, not billing-agent's
// business: counted and printed, never a failure). Every other request that leaves the Studio's own origin is
// aborted and fails the check. Telemetry is disabled by serve.mjs, so PostHog must never be contacted.
const STAND_IN_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">' +
  '<circle cx="8" cy="8" r="7" fill="#000"/></svg>';
const STAND_INS = [
  {
    // The model picker shows the provider logo as <img src="https://models.dev/logos/<provider>.svg"> (stock too:
    // mock-provider.svg). Any small valid SVG will do: the Studio paints it white.
    id: 'models.dev-logo',
    url: /^https:\/\/models\.dev\/logos\/[^/?#]+\.svg$/,
    answer: { status: 200, contentType: 'image/svg+xml', body: STAND_IN_SVG },
  },
  {
    // The Templates page: a plain cross-origin fetch of the template list, an array of templates; the Studio puts
    // its built-in "Weather Agent" template in front of it. An empty list leaves exactly that one.
    id: 'mastra.ai-templates',
    url: /^https:\/\/mastra\.ai\/api\/templates\.json$/,
    answer: { status: 200, contentType: 'application/json', body: '[]', headers: { 'access-control-allow-origin': '*' } },
  },
];
const standInSeen = new Map();  // stand-in id -> count
// TEMPLATES: the Templates page is visited (the list, with the built-in template), but no template is opened: a
// template's page asks api.github.com for the template repository and its branches, and installing one runs the
// agent-builder workflows of `mastra dev`, none of which has anything to do with billing-agent.

// ------------------------------------------------------------------------------------------------ processes
const started = [];  // child processes this test started
let browser = null;
let tmpDir = null;
let cleaning = null;

function killAll() {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) { try { c.kill('SIGKILL'); } catch {} }
  if (tmpDir) { try { fs.rmSync(tmpDir, { recursive: true, force: true }); } catch {} tmpDir = null; }
}
async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    killAll();
  })();
  return cleaning;
}
process.on('exit', killAll);  // last resort (synchronous): never leave the binary or serve.mjs behind
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    console.log(`FAIL whole run: interrupted by ${sig}`);
    await cleanup();
    process.exit(1);
  });
}
const watchdog = setTimeout(async () => {
  console.log(`FAIL whole run: still running after ${Math.round(TOTAL_BUDGET_MS / 1000)} s, stopped`);
  await cleanup();
  process.exit(1);
}, TOTAL_BUDGET_MS);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
const taken = new Set();
async function pickPort() {
  if (!PORTS) return 0;  // the process listens on port 0 and tells us the port it got
  const [lo, hi] = PORTS.split('-').map(Number);
  const first = lo + Math.floor(Math.random() * (hi - lo + 1));
  for (let i = 0; i <= hi - lo; i++) {
    const p = lo + ((first - lo + i) % (hi - lo + 1));
    if (!taken.has(p) && await portFree(p)) { taken.add(p); return p; }
  }
  throw new Error(`no free port in ${PORTS}`);
}

// Starts a child and resolves with the first match of `ready` in its output (bounded by timeoutMs).
function startChild(name, cmd, args, opts, ready, timeoutMs = 20000) {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${out.slice(-2000)}`)), timeoutMs);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(ready);
      if (m) { clearTimeout(timer); resolve({ child, match: m }); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`${name}: ${e.message}`)); });
    child.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`${name} exited (${code ?? sig}):\n${out.slice(-2000)}`)); });
  });
}

// ------------------------------------------------------------------------------------------------ checks
const results = [];  // {name, ok, problems}
let cur = null;      // the page being checked: what happens in the browser is recorded on it
let between = null;  // what happens between two checks: judged with the next one
const rec0 = () => cur ?? between;
const allowedSeen = new Map();  // allowlist id -> count
const inflight = new Set();
let lastActivity = Date.now();
let shotNo = 0;
let STUDIO = '';

function newRecord(name) {
  return { name, requests: [], consoleErrors: [], pageErrors: [], external: [], standIns: [], problems: [], notes: [] };
}
class CheckFailed extends Error {}
function must(cond, message) { if (!cond) throw new CheckFailed(message); }

// Runs one check: fn drives the page and throws on a failed expectation; then the page's record (API statuses,
// console, page errors, external requests) is judged. Prints one line.
async function check(name, fn, { screenshot = true } = {}) {
  cur = newRecord(name);
  const rec = cur;
  if (between) for (const k of ['requests', 'consoleErrors', 'pageErrors', 'external', 'standIns']) rec[k].push(...between[k]);
  between = newRecord('between');
  const t = Date.now();
  let failure = null;
  try {
    await fn(rec);
  } catch (e) {
    failure = e instanceof CheckFailed ? e.message : `${e.name}: ${e.message.split('\n')[0]}`;
  }
  if (screenshot && page) {
    try {
      const file = path.join(OUT, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, timeout: 10000 });
      rec.notes.push(path.basename(file));
    } catch (e) { rec.notes.push(`no screenshot: ${e.message.split('\n')[0]}`); }
  }
  for (const r of rec.requests) {
    if (r.status === null) { r.judged = true; continue; }  // still in flight: judged when it finishes (see finished())
    const bad = r.status === 'failed' ? !r.aborted : r.status >= 400;
    if (!bad) continue;
    const allow = STATUS_ALLOW.find((a) => a.method === r.method && a.path.test(r.path) && a.status === r.status &&
      (!a.when || a.when(r.path, r.doneAt)));
    if (allow) continue;
    rec.problems.push(`${r.late ? '(late) ' : ''}${r.method} ${r.path}${r.query} answered ${r.status} ${JSON.stringify(r.answer ?? '').slice(0, 200)}`);
  }
  for (const c of rec.consoleErrors) {
    const allow = CONSOLE_ALLOW.find((a) => a.text.test(c.text) && (!a.url || a.url.test(c.url)) &&
      (!a.checks || a.checks.test(rec.name)) && (!a.when || a.when(c.url, c.t)));
    if (allow) allowedSeen.set(allow.id, (allowedSeen.get(allow.id) || 0) + 1);
    else rec.problems.push(`console error: ${c.text}${c.url ? ` (${c.url.replace(STUDIO, '')})` : ''}`);
  }
  for (const e of rec.pageErrors) rec.problems.push(`page error: ${e}`);
  for (const u of rec.external) rec.problems.push(`request to another host (aborted): ${u}`);
  if (rec.standIns.length) {
    const n = new Map();
    for (const id of rec.standIns) n.set(id, (n.get(id) || 0) + 1);
    rec.notes.push(`stand-ins: ${[...n].map(([id, k]) => `${id} x${k}`).join(' ')}`);
  }
  if (failure) rec.problems.unshift(failure);
  // The Studio retries every failed call 3 times: print each distinct problem once, with its count.
  const counts = new Map();
  for (const p of rec.problems) counts.set(p, (counts.get(p) || 0) + 1);
  rec.problems = [...counts].map(([p, n]) => (n > 1 ? `${p} (x${n})` : p));
  const ok = rec.problems.length === 0;
  const apiCount = rec.requests.length;
  results.push({ name, ok, problems: rec.problems });
  const secs = ((Date.now() - t) / 1000).toFixed(1);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name} (${apiCount} api calls, ${secs} s${rec.notes.length ? ', ' + rec.notes.join(', ') : ''})`);
  for (const p of rec.problems) console.log(`     - ${p}`);
  cur = null;
  return ok;
}

// Waits until no /api request has been in flight for `idle` ms (at least `min`, at most `max`).
// Open streams (a chat answer) count as in flight.
async function settle({ min = 400, idle = 700, max = 10000 } = {}) {
  const t0 = Date.now();
  await sleep(min);
  while (Date.now() - t0 < max) {
    if (inflight.size === 0 && Date.now() - lastActivity > idle) return;
    await sleep(100);
  }
}

async function goto(p) {
  await page.goto(STUDIO + p, { waitUntil: 'domcontentloaded', timeout: 15000 });
}
// Waits (bounded) until an input's value is `want`.
async function valueBecomes(locator, want, timeout = 10000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeout) {
    if (await locator.first().inputValue({ timeout: 1000 }).catch(() => null) === want) return true;
    await sleep(200);
  }
  return false;
}
const visible = (locator, timeout = 10000) => locator.first().waitFor({ state: 'visible', timeout }).then(() => true, () => false);

async function api(p, init = {}) {
  const res = await fetch(STUDIO + p, { ...init, signal: AbortSignal.timeout(10000) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch {}
  return { status: res.status, text, json };
}

// Waits (bounded) for a browser request whose path matches, that finished with a status.
async function waitForApi(rec, method, pathRe, { query = /(?:)/, timeout = 15000 } = {}) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeout) {
    const r = rec.requests.find((x) => x.method === method && pathRe.test(x.path) && query.test(x.query) && x.status !== null);
    if (r) return r;
    await sleep(100);
  }
  return null;
}

// ------------------------------------------------------------------------------------------------ main
let page = null;

async function main() {
  must(BINARY && fs.existsSync(BINARY), `--binary: no billing-agent at '${BINARY}'`);
  must(fs.existsSync(path.join(here, 'node_modules/mastra/dist/playground/index.html')), `run npm ci in ${here} first`);
  must(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (/^\d\d-.*\.png$/.test(f) || f === 'api.jsonl') fs.rmSync(path.join(OUT, f));

  // The binary: development mode (no credentials; the 0.24 Studio cannot send any), local model, sample data,
  // fixed clock, no billing runs in the background. Only our settings: BILLING_*/OPENAI_* of the caller are dropped.
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-studio-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(BILLING_|OPENAI_)/.test(k)));
  Object.assign(env, { BILLING_AUTH: 'off', BILLING_MODEL: 'local', BILLING_TODAY: '2026-11-25', BILLING_PAYMENT_MODE: 'approve' });
  const apiPort = await pickPort();
  const { match: apiMatch } = await startChild('billing-agent', BINARY,
    ['--host', '127.0.0.1', '--port', String(apiPort), '--db', path.join(tmpDir, 'billing.db'), '--run-interval', 'off'],
    { env, cwd: tmpDir }, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const apiBase = apiMatch[1];

  const studioPort = await pickPort();
  const { match: studioMatch } = await startChild('serve.mjs', process.execPath,
    [path.join(here, 'serve.mjs'), '--host', '127.0.0.1', '--port', String(studioPort), '--target', apiBase,
     '--log', path.join(OUT, 'api.jsonl')],
    { env: process.env }, /studio on (http:\/\/127\.0\.0\.1:\d+)/, 10000);
  STUDIO = studioMatch[1];
  console.log(`billing-agent ${apiBase} (${BINARY}), Studio ${STUDIO}, screenshots in ${OUT}`);

  const agents = (await api('/api/agents')).json || {};
  const agentName = agents[AGENT]?.name;
  must(agentName, `GET /api/agents has no ${AGENT}`);

  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, timeout: 30000,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
  context.setDefaultTimeout(10000);
  // Nothing but the Studio's own origin: the stand-ins are answered here, everything else is recorded and aborted,
  // so the test never uses the network.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(STUDIO + '/') || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    const standIn = route.request().method() === 'GET' && STAND_INS.find((s) => s.url.test(u));
    if (standIn) {
      standInSeen.set(standIn.id, (standInSeen.get(standIn.id) || 0) + 1);
      rec0()?.standIns.push(standIn.id);
      return route.fulfill(standIn.answer);
    }
    rec0()?.external.push(u);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin !== STUDIO || !u.pathname.startsWith('/api')) return;
    const r = { method: req.method(), path: u.pathname, query: u.search, body: req.postData(), status: null, answer: null };
    req._rec = r;
    inflight.add(req);
    lastActivity = Date.now();
    rec0()?.requests.push(r);
  });
  const finished = async (req, failed) => {
    const r = req._rec;
    if (!r) return;
    try {
      if (failed) {
        const why = req.failure()?.errorText ?? '';
        // A request cut short because the page navigated away is not an answer of the server.
        r.aborted = /ERR_ABORTED|ERR_BLOCKED_BY_CLIENT/.test(why);
        r.answer = why;
        r.status = 'failed';
      } else {
        const res = await req.response();
        const body = res && !/text\/event-stream/.test(res.headers()['content-type'] || '')
          ? await Promise.race([res.body().catch(() => null), sleep(3000).then(() => null)]) : null;
        r.answer = body ? body.toString('utf8').slice(0, 200000) : null;
        r.status = res ? res.status() : 'failed';
      }
    } catch (e) { r.status = 'failed'; r.answer = e.message; }
    r.doneAt = Date.now();
    inflight.delete(req);
    lastActivity = Date.now();
    // An answer that arrives after its page was judged is judged with the current check.
    if (r.judged && rec0()) { r.judged = false; r.late = true; rec0().requests.push(r); }
  };
  page.on('requestfinished', (req) => finished(req, false));
  page.on('requestfailed', (req) => finished(req, true));
  page.on('console', (m) => {
    if (m.type() !== 'error' || !rec0()) return;
    rec0().consoleErrors.push({ text: m.text().slice(0, 500), url: m.location()?.url || '', t: Date.now() });
  });
  page.on('pageerror', (e) => rec0()?.pageErrors.push(`${e.name}: ${e.message.slice(0, 300)}`));

  const A = `/agents/${AGENT}`;
  const tab = (name) => page.getByRole('tab', { name, exact: true });

  // 1. Agents list.
  await check('agents', async () => {
    await goto('/agents');
    must(await visible(page.getByText(agentName, { exact: true })), `"${agentName}" not listed`);
    await settle();
  });

  // The agent's chat page and its three side-panel tabs.
  await check('agent-chat-overview', async (rec) => {
    await goto(`${A}/chat`);
    must(await visible(page.getByPlaceholder('Enter your message...')), 'no chat input');
    must(await visible(tab('Overview')), 'no Overview tab');
    await tab('Overview').click();
    const panel = page.getByRole('tabpanel');
    must(await visible(panel.getByText('get-customer', { exact: true })), 'Overview does not list the tool get-customer');
    const providers = await waitForApi(rec, 'GET', /^\/api\/agents\/providers$/);
    must(providers?.status === 200, `GET /api/agents/providers: ${providers?.status ?? 'not called'}`);
    // The model picker: provider and model inputs, filled from /api/agents/providers and the agent.
    const provider = panel.getByLabel('Search providers');
    must(await visible(provider), 'no model picker');
    must(await valueBecomes(provider, 'Local'), `the model picker shows the provider "${await provider.inputValue()}", not "Local"`);
    await settle();
  });
  await check('agent-chat-model-settings', async () => {
    await tab('Model Settings').click();
    must(await visible(page.getByRole('radio', { name: /^stream$/i })), 'no "stream" chat method');
    await settle();
  });
  await check('agent-chat-memory', async () => {
    await tab('Memory').click();
    must(await visible(page.getByText('Working Memory', { exact: true })), 'the Memory tab shows no Working Memory section ' +
      '(needs GET /api/memory/config with workingMemory.enabled)');
    must(await visible(page.getByRole('tabpanel').getByRole('heading', { name: 'Billing notes' })),
      'the working memory template is not shown');
    await settle();
  });

  // 2. Chat in Stream mode: the answer and the tool badge, then the badge opened.
  let threadId = '';
  await check('chat-stream-answer', async (rec) => {
    await tab('Model Settings').click();
    const stream = page.getByRole('radio', { name: /^stream$/i });
    await stream.click();
    must(await stream.getAttribute('aria-checked') === 'true', 'could not select the "stream" chat method');
    const box = page.getByPlaceholder('Enter your message...');
    await box.fill(QUESTION);
    await box.press('Enter');
    const post = await waitForApi(rec, 'POST', /^\/api\/agents\/[^/]+\/(stream|generate)[^/]*$/, { timeout: 30000 });
    must(post, 'no chat request was sent');
    must(/\/stream$/.test(post.path), `the chat called ${post.path}, not /stream`);
    must(await visible(page.locator('.aui-md', { hasText: BALANCE }), 30000), `the answer with ${BALANCE} did not appear`);
    must(await visible(page.getByRole('button', { name: 'getCustomerTool', exact: true })), 'no getCustomerTool badge');
    threadId = new URL(page.url()).pathname.split('/').pop();
    must(/^[0-9a-f-]{36}$/.test(threadId), `unexpected chat URL ${page.url()}`);
    chattedThreads.set(threadId, post.doneAt);
    await settle();
  });
  await check('chat-tool-badge-open', async () => {
    const badge = page.getByRole('button', { name: 'getCustomerTool', exact: true }).first();
    await badge.click();
    // The opened badge shows the tool's arguments and result as JSON (the result's "message" is only there).
    must(await visible(page.getByText('Found customer CUST-001 (TechCorp Inc.)', { exact: false })),
      'the opened badge does not show the tool result');
    await badge.evaluate((e) => e.scrollIntoView({ block: 'start' }));  // the screenshot shows the badge from its top
    await settle();
  });

  // 4. Working memory: open the thread from the thread list, edit and save in the Memory tab, read it back.
  await check('chat-thread-from-list', async () => {
    must(threadId, 'no thread from the chat check');
    await goto(`${A}/chat`);  // a new chat, so that the thread is then opened from the list
    await page.waitForURL((u) => /\/chat\/[0-9a-f-]{36}$/.test(u.pathname), { timeout: 10000 });
    must(!page.url().endsWith(threadId), 'the Studio reopened the same thread for a new chat');
    const link = page.locator(`a[href="${A}/chat/${threadId}"]`);
    must(await visible(link), `thread ${threadId} is not in the thread list`);
    await link.first().click();
    await page.waitForURL((u) => u.pathname.endsWith(threadId), { timeout: 10000 });
    must(await visible(page.locator('.aui-md', { hasText: BALANCE })), 'the thread\'s messages were not loaded from memory');
    await settle();
  });
  await check('chat-working-memory-saved', async (rec) => {
    await tab('Memory').click();
    const edit = page.getByRole('button', { name: 'Edit Working Memory' });
    must(await visible(edit), 'no "Edit Working Memory" button');
    const t0 = Date.now();
    while (await edit.isDisabled() && Date.now() - t0 < 10000) await sleep(200);
    must(!(await edit.isDisabled()), '"Edit Working Memory" stays disabled (threadExists false?)');
    await edit.click();
    const area = page.getByRole('tabpanel').locator('textarea');
    must(await visible(area), 'no working memory editor');
    await area.first().fill(WORKING_MEMORY);
    await page.getByRole('button', { name: 'Save Changes' }).click();
    const post = await waitForApi(rec, 'POST', /^\/api\/memory\/threads\/[^/]+\/working-memory$/);
    must(post && post.status === 200, `saving working memory: ${post ? post.status + ' ' + post.answer : 'no request'}`);
    must(await visible(page.getByRole('tabpanel').getByText('invoices by email, studio test')), 'the saved working memory is not shown');
    const got = await api(`/api/memory/threads/${threadId}/working-memory?agentId=${AGENT}&resourceId=${AGENT}`);
    must(got.status === 200 && got.json?.workingMemory === WORKING_MEMORY,
      `GET /api/memory/threads/${threadId}/working-memory answered ${got.status} ${got.text.slice(0, 300)}`);
    await settle();
  });

  await check('agent-traces', async (rec) => {
    await goto(`${A}/traces`);
    const r = await waitForApi(rec, 'GET', /^\/api\/telemetry$/);
    must(r?.status === 200, `GET /api/telemetry: ${r?.status ?? 'not called'}`);
    await settle();
  });
  await check('agent-evals', async (rec) => {
    await goto(`${A}/evals`);
    must(await waitForApi(rec, 'GET', /\/evals\/(live|ci)$/), 'no evals request');
    await settle();
  });

  await check('workflows', async (rec) => {
    await goto('/workflows');
    const r = await waitForApi(rec, 'GET', /^\/api\/workflows$/);
    must(r?.status === 200, `GET /api/workflows: ${r?.status ?? 'not called'}`);
    await settle();
  });

  // 5. MCP servers, the billing server's page with its 6 tools, one MCP tool page.
  const mcpServers = (await api('/api/mcp/v0/servers')).json?.servers ?? [];
  const mcp = mcpServers[0] ?? { id: 'billing', name: 'billing' };
  const mcpTools = (await api(`/api/mcp/${mcp.id}/tools`)).json?.tools;
  await check('mcp-servers', async () => {
    await goto('/mcps');
    must(await visible(page.getByRole('link', { name: mcp.name })), `MCP server "${mcp.name}" not listed`);
    await settle();
  });
  await check('mcp-server-tools', async () => {
    await goto(`/mcps/${mcp.id}`);
    const links = page.locator(`a[href^="/mcps/${mcp.id}/tools/"]`);
    await visible(links);
    await settle();
    const n = await links.count();
    must(n === 6, `the MCP server page lists ${n} tools, expected 6 (GET /api/mcp/${mcp.id}/tools: ${JSON.stringify(mcpTools)?.slice(0, 200)})`);
  });
  await check('mcp-tool', async () => {
    const id = Array.isArray(mcpTools) ? (mcpTools.find((t) => /customer/i.test(t.id)) ?? mcpTools[0])?.id : 'get-customer';
    await goto(`/mcps/${mcp.id}/tools/${id}`);
    must(await visible(page.locator('input[name="customerId"]')), 'the MCP tool form has no customerId input');
    await settle();
  });
  await check('mcp-tool-run', async (rec) => {
    await page.locator('input[name="customerId"]').fill('CUST-001');
    await page.getByRole('button', { name: /^submit$/i }).click();
    const r = await waitForApi(rec, 'POST', /^\/api\/mcp\/[^/]+\/tools\/[^/]+\/execute$/);
    must(r && r.status === 200, `POST .../execute: ${r ? r.status + ' ' + r.answer : 'not sent'}`);
    let body = null;
    try { body = JSON.parse(r.answer); } catch {}
    must(body && typeof body === 'object' && 'result' in body, `the MCP execute answer is not {"result":...}: ${r.answer?.slice(0, 200)}`);
    must(await visible(page.getByText(/Found customer CUST-001/)), 'the result is not shown');
    await settle();
  });

  // 3. Tools: the list, one tool page, and a run of get-customer with CUST-001.
  await check('tools', async () => {
    await goto('/tools');
    must(await visible(page.getByText('get-customer', { exact: true })), 'get-customer not listed');
    await settle();
  });
  await check('tool-get-customer', async () => {
    await goto('/tools/all/get-customer');
    must(await visible(page.locator('input[name="customerId"]')), 'no customerId input');
    await settle();
  });
  await check('tool-get-customer-run', async (rec) => {
    await page.locator('input[name="customerId"]').fill('CUST-001');
    await page.getByRole('button', { name: /^submit$/i }).click();
    const r = await waitForApi(rec, 'POST', /^\/api\/tools\/get-customer\/execute$/);
    must(r && r.status === 200, `POST /api/tools/get-customer/execute: ${r ? r.status : 'not sent'}`);
    must(await visible(page.getByText(/TechCorp Inc\./)), 'the result is not shown');
    await settle();
  });

  await check('scorers', async (rec) => {
    await goto('/scorers');
    const r = await waitForApi(rec, 'GET', /^\/api\/scores\/scorers$/);
    must(r?.status === 200, `GET /api/scores/scorers: ${r?.status ?? 'not called'}`);
    await settle();
  });
  await check('runtime-context', async () => {
    await goto('/runtime-context');
    must(await visible(page.getByText('Runtime Context (JSON)')), 'no Runtime Context editor');
    await settle();
  });

  // Observability: the list, one trace opened, and the entity filter set to the agent (by its name, as the Studio does).
  await check('observability', async () => {
    await goto('/observability');
    must(await visible(page.getByText(/invoke_agent|agent run/).first()), 'no trace listed');
    await settle();
  });
  await check('observability-trace', async (rec) => {
    await page.getByText(/invoke_agent|agent run/).first().click();
    must(await waitForApi(rec, 'GET', /^\/api\/observability\/traces\/[^/]+$/), 'no trace request');
    must(await visible(page.getByText(/execute_tool getCustomerTool/).first()), 'the trace shows no tool span');
    await settle();
  });
  await check('observability-span', async (rec) => {
    await page.getByText(/execute_tool getCustomerTool/).first().click();
    // The selected span's scores (polled every 3 s while it is open).
    const r = await waitForApi(rec, 'GET', /^\/api\/observability\/traces\/[^/]+\/[^/]+\/scores$/);
    must(r?.status === 200, `span scores: ${r ? r.status + ' ' + r.answer : 'not requested'}`);
    must(await visible(page.getByText('tool_call', { exact: true })), 'the span panel does not show the span type');
    must(await visible(page.locator('.cm-content', { hasText: '"TechCorp Inc."' })), 'the span panel does not show the tool output');
    await settle({ min: 3200 });  // one more poll
  });
  await check('observability-entity-filter', async (rec) => {
    await goto(`/observability?entity=${encodeURIComponent(agentName)}`);
    const r = await waitForApi(rec, 'GET', /^\/api\/observability\/traces$/, { query: /entityId=/ });
    must(r && r.status === 200, `no filtered traces request: ${JSON.stringify(rec.requests.map((x) => x.path + x.query))}`);
    await settle();
    // The first page of the filtered list (the Studio then asks for page=1, which is empty).
    const first = rec.requests.find((x) => x.path === '/api/observability/traces' && /entityId=/.test(x.query) &&
      /[?&]page=0(&|$)/.test(x.query) && x.status === 200) ?? r;
    let spans = [];
    try { spans = JSON.parse(first.answer).spans; } catch {}
    must(spans.length > 0, `GET /api/observability/traces${first.query} found no trace for the agent: ${first.answer?.slice(0, 200)}`);
    must(await visible(page.getByText(/invoke_agent|agent run/).first()), 'no trace listed with the entity filter');
  });

  // 6. Templates: the list shows the Studio's built-in template (the test's stand-in answers the template list with
  // none); no template is opened (see TEMPLATES).
  await check('templates', async (rec) => {
    await goto('/templates');
    const card = page.locator('article', { has: page.getByRole('heading', { name: 'Weather Agent', exact: true }) });
    must(await visible(card), 'the built-in "Weather Agent" template is not shown');
    must(await visible(card.locator('a[href="/templates/weather-agent"]')), 'the template card does not link to /templates/weather-agent');
    must(await visible(card.getByText('Get weather information of any city.')), 'the template card has no description');
    must(rec.standIns.includes('mastra.ai-templates'), 'the Studio did not ask for https://mastra.ai/api/templates.json');
    await settle();
  });

  // 7. Chat settings that stay in localStorage (mastra-agent-store-<agent>): checked last, so that the chats above
  // and the Observability checks (which open the newest trace) are not affected, and reset at the end.
  const settingsKey = `mastra-agent-store-${AGENT}`;
  const modelSettings = async () => JSON.parse(await page.evaluate((k) => localStorage.getItem(k), settingsKey) || '{}')?.modelSettings ?? {};
  const approvalBox = () => page.getByRole('tabpanel').locator('div', { has: page.getByText('Require Tool Approval', { exact: true }) })
    .getByRole('checkbox');
  // Opens a new chat and waits for its thread id (a client-made UUID in the URL).
  const newChat = async () => {
    await goto(`${A}/chat`);
    await page.waitForURL((u) => /\/chat\/[0-9a-f-]{36}$/.test(u.pathname), { timeout: 10000 });
    must(await visible(page.getByPlaceholder('Enter your message...')), 'no chat input');
    return new URL(page.url()).pathname.split('/').pop();
  };
  const setApproval = async (on) => {
    await tab('Model Settings').click();
    const box = approvalBox();
    must(await visible(box), 'no "Require Tool Approval" checkbox in Model Settings');
    if ((await box.first().getAttribute('aria-checked') === 'true') !== on) await box.first().click();
    must(await box.first().getAttribute('aria-checked') === String(on), `could not turn "Require Tool Approval" ${on ? 'on' : 'off'}`);
  };
  const setMethod = async (name) => {
    await tab('Model Settings').click();
    const radio = page.getByRole('radio', { name: new RegExp(`^${name}$`, 'i') });
    must(await visible(radio), `no "${name}" chat method`);
    await radio.click();
    must(await radio.getAttribute('aria-checked') === 'true', `could not select the "${name}" chat method`);
  };
  const ask = async (rec, threadId, pathRe) => {
    const box = page.getByPlaceholder('Enter your message...');
    await box.fill(QUESTION);
    await box.press('Enter');
    const post = await waitForApi(rec, 'POST', /^\/api\/agents\/[^/]+\/(stream|generate)[^/]*$/, { timeout: 30000 });
    must(post, 'no chat request was sent');
    chattedThreads.set(threadId, post.doneAt);
    must(pathRe.test(post.path), `the chat called ${post.path}`);
    must(post.status === 200, `POST ${post.path} answered ${post.status} ${post.answer ?? ''}`);
    let body = {};
    try { body = JSON.parse(post.body); } catch {}
    return { post, body };
  };
  const badge = () => page.getByRole('button', { name: 'getCustomerTool', exact: true });
  const answer = (text) => page.locator('.aui-md', { hasText: text });

  // Tool approval, approved: the stream stops at the tool call with Approve/Decline on the (opened) tool badge and no
  // answer; Approve continues the run in a new stream.
  let approval = null;  // {threadId, runId}
  await check('chat-approval-required', async (rec) => {
    const threadId = await newChat();
    await setMethod('stream');
    await setApproval(true);
    const { post, body } = await ask(rec, threadId, /\/stream$/);
    must(body.requireToolApproval === true, `POST ${post.path} did not send "requireToolApproval":true: ${post.body?.slice(0, 300)}`);
    must(body.runId, `POST ${post.path} sent no runId`);
    must(await visible(page.getByText('Approval required', { exact: true }), 30000), 'no "Approval required" on the tool badge');
    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    must(await visible(approve) && await visible(page.getByRole('button', { name: 'Decline', exact: true })),
      'no Approve/Decline buttons');
    must(await visible(badge()), 'no getCustomerTool badge');
    await settle();  // the stream has ended (open streams count as in flight)
    must(await approve.first().isEnabled(), 'the Approve button is disabled');
    must(await answer(BALANCE).count() === 0, `the answer with ${BALANCE} is shown before the tool call was approved`);
    must(await page.getByText('Tool result', { exact: true }).count() === 0, 'the tool badge shows a result before the tool call was approved');
    approval = { threadId, runId: body.runId };
    await badge().first().evaluate((e) => e.scrollIntoView({ block: 'start' }));
  });
  await check('chat-approval-approved', async (rec) => {
    must(approval, 'no tool call waiting for approval');
    await page.getByRole('button', { name: 'Approve', exact: true }).first().click();
    const r = await waitForApi(rec, 'POST', /^\/api\/agents\/[^/]+\/approve-tool-call$/, { timeout: 30000 });
    must(r?.status === 200, `POST .../approve-tool-call: ${r ? r.status + ' ' + r.answer : 'not sent'}`);
    let body = {};
    try { body = JSON.parse(r.body); } catch {}
    must(body.runId === approval.runId && body.toolCallId, `POST ${r.path} sent ${r.body}, expected the stream's runId ${approval.runId} and a toolCallId`);
    must(await visible(answer(BALANCE), 30000), `the answer with ${BALANCE} did not appear after Approve`);
    must(await visible(page.getByText('Found customer CUST-001', { exact: false })), 'the tool badge does not show the tool result');
    await settle();
  });

  // Tool approval, declined (the setting is still on): the model is told the call was not approved and says so.
  await check('chat-approval-declined', async (rec) => {
    const threadId = await newChat();
    await setApproval(true);  // still on from the last check (localStorage)
    const { post, body } = await ask(rec, threadId, /\/stream$/);
    must(body.requireToolApproval === true, `POST ${post.path} did not send "requireToolApproval":true: ${post.body?.slice(0, 300)}`);
    const decline = page.getByRole('button', { name: 'Decline', exact: true });
    must(await visible(decline, 30000), 'no Decline button');
    await settle();
    await decline.first().click();
    const r = await waitForApi(rec, 'POST', /^\/api\/agents\/[^/]+\/decline-tool-call$/, { timeout: 30000 });
    must(r?.status === 200, `POST .../decline-tool-call: ${r ? r.status + ' ' + r.answer : 'not sent'}`);
    let sent = {};
    try { sent = JSON.parse(r.body); } catch {}
    must(sent.runId === body.runId && sent.toolCallId, `POST ${r.path} sent ${r.body}, expected the stream's runId ${body.runId} and a toolCallId`);
    must(await visible(answer(/Not done: the .* call was not approved/), 30000), 'the "Not done: ... not approved" answer did not appear');
    must(await answer(BALANCE).count() === 0, `the answer gives the balance ${BALANCE} although the tool call was declined`);
    await settle();
  });

  // Generate: the whole answer at once, from /generate's response.uiMessages.
  await check('chat-generate', async (rec) => {
    const threadId = await newChat();
    await setApproval(false);
    await setMethod('generate');
    const { post } = await ask(rec, threadId, /\/generate$/);
    must(await visible(answer(BALANCE), 30000), `the answer with ${BALANCE} did not appear`);
    must(await visible(badge()), 'no getCustomerTool badge');
    let res = {};
    try { res = JSON.parse(post.answer); } catch {}
    must(Array.isArray(res?.response?.uiMessages) && res.response.uiMessages.length > 0,
      `POST ${post.path} answered no response.uiMessages: ${post.answer?.slice(0, 300)}`);
    await settle();
  });

  // Back to the defaults: Stream, no tool approval (kept in localStorage).
  await check('chat-settings-reset', async () => {
    await setMethod('stream');
    await setApproval(false);
    await settle();
    const ms = await modelSettings();
    must(!ms.chatWithGenerate && !ms.requireToolApproval, `${settingsKey} still has ${JSON.stringify(ms)}`);
  }, { screenshot: false });
}

let fatal = null;
try {
  await main();
} catch (e) {
  fatal = e instanceof CheckFailed ? e.message : (e.stack || String(e));
}
await cleanup();
clearTimeout(watchdog);

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (fatal) console.log(`FAIL setup: ${fatal}`);
const allowed = [...allowedSeen].map(([id, n]) => `${id} x${n}`).join(', ');
console.log(`allowed console errors (same as stock Mastra 0.24.9): ${allowed || 'none'}`);
const standIns = [...standInSeen].map(([id, n]) => `${id} x${n}`).join(', ');
console.log(`outside requests answered by the test's stand-ins (not failures): ${standIns || 'none'}`);
console.log(`${failed || fatal ? 'FAILED' : 'OK'}: ${passed}/${results.length} checks passed` +
  `${fatal ? ', setup failed' : ''} in ${((Date.now() - T0) / 1000).toFixed(1)} s; screenshots in ${OUT}`);
process.exit(failed || fatal ? 1 : 0);
