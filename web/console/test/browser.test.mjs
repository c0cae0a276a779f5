#!/usr/bin/env node
// Browser test of the web console as the real billing-agent binary serves it, in Debian's
// Chromium (playwright-core, no browser download):
//
//   cd web/console && npm ci && npm run build
//   node test/browser.test.mjs --binary ../../build/release/billing-agent --out /tmp/console-shots
//
// The binary must serve the console itself (GET / is dist/index.html, with its CSP); the test
// points it at this checkout's dist/ with BILLING_CONSOLE_DIR and fails when dist/ is not built.
// 1. development mode (no keys) on a fresh SQLite database with the sample data: every page,
//    no console error, no page error, no failed request to the server (other than the expected
//    ones), no request to another host, no serious/critical axe-core violation. The dashboard's
//    "Outstanding on invoices" card and its note; live refresh on a new event with at most a
//    handful of /api/events requests per poll; chat streams an answer with a tool badge; the
//    Traces page lists that run and its trace has an execute_tool span; the tools page runs
//    get-customer from its generated form; an action refused by the server shows its message;
//    "Verify chain" shows the server's GET /api/audit/verify result;
// 2. 375 px wide: dashboard and chat do not overflow and the menu button opens the navigation;
// 3. authentication on (a read-only key made with the CLI on a second database): sign in by
//    pasting the key, an invoice shows no action buttons, and the server answers 403 to the
//    action when the page calls it anyway.
// One line per check, then a summary. Screenshots (PNG, 1280x800 or 375 wide) go to --out. Exit
// code 0 = pass. Servers are killed at the end, on failure too. Each wait is bounded; the whole
// run is bounded by TOTAL_MS.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, access } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const TOTAL_MS = 170_000;
const POLL_MS = 5000; // the dashboard's event poll (src/pages/dashboard.js)
const WAIT_MS = 15_000;
const here = dirname(fileURLToPath(import.meta.url));
const consoleDir = resolve(here, '..');
const require = createRequire(import.meta.url);

// ---------- arguments ----------
function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const binary = arg('binary') ? resolve(arg('binary')) : null;
const outDir = arg('out') ? resolve(arg('out')) : null;
if (!binary || !outDir) {
  console.error('usage: node browser.test.mjs --binary <billing-agent> --out <screenshot dir> [--port-base N]');
  process.exit(2);
}

const started = Date.now();
const cleanups = [];
let failures = 0;
let passes = 0;
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`, ...a);

async function cleanup() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch {
      /* keep cleaning */
    }
  }
}

const overall = setTimeout(async () => {
  console.error(`FAIL: the whole test took longer than ${TOTAL_MS / 1000} s`);
  await cleanup();
  process.exit(1);
}, TOTAL_MS);

process.on('SIGINT', async () => {
  await cleanup();
  process.exit(130);
});

// ---------- helpers ----------
// A free port: any (the kernel's choice), or with --port-base N the first free one from N up.
let nextPort = Number(arg('port-base')) || 0;
function tryPort(port) {
  return new Promise((ok) => {
    const srv = net.createServer();
    srv.once('error', () => ok(null));
    srv.listen(port, '127.0.0.1', () => {
      const got = srv.address().port;
      srv.close(() => ok(got));
    });
  });
}
async function freePort() {
  if (!nextPort) return tryPort(0);
  for (let i = 0; i < 50; i += 1) {
    const p = await tryPort(nextPort);
    nextPort += 1;
    if (p) return p;
  }
  throw new Error('no free port from --port-base');
}

function run(cmd, args, env) {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else ok({ stdout, stderr });
    });
  });
}

function serverEnv(db) {
  const env = { ...process.env, BILLING_DB: db, BILLING_CONSOLE_DIR: join(consoleDir, 'dist') };
  for (const k of ['OPENAI_API_KEY', 'BILLING_AUTH', 'BILLING_JWT_SECRET', 'BILLING_MODEL', 'PORT', 'HOST', 'BILLING_CORS_ORIGINS']) delete env[k];
  env.BILLING_PAYMENT_MODE = 'approve';
  env.BILLING_RUN_INTERVAL = 'off';
  env.BILLING_RATE_LIMIT = 'off';
  env.BILLING_PAYMENT_RATE_LIMIT = 'off';
  env.LOG_LEVEL = 'warn';
  return env;
}

async function startServer(name, db) {
  const port = await freePort();
  const logFile = join(outDir, `${name}-server.log`);
  const out = createWriteStream(logFile);
  const child = spawn(binary, ['--port', String(port), '--db', db], { env: serverEnv(db), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = `${code ?? sig}`;
  });
  cleanups.push(async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      await new Promise((ok) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          ok();
        }, 3000);
        child.once('exit', () => {
          clearTimeout(t);
          ok();
        });
      });
    }
  });
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + WAIT_MS;
  for (;;) {
    if (exited !== null) throw new Error(`${name} server exited (${exited}) before answering /health; see ${logFile}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`${name} server did not answer /health within ${WAIT_MS / 1000} s; see ${logFile}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  // The binary serves the console itself: GET / must be this checkout's dist/index.html.
  const index = await fetch(`${base}/`).then(async (r) => ({ status: r.status, text: await r.text(), csp: r.headers.get('content-security-policy') }));
  const built = await readFile(join(consoleDir, 'dist', 'index.html'), 'utf8');
  if (index.status !== 200 || index.text !== built) {
    throw new Error(`GET ${base}/ answered ${index.status}${index.status === 200 ? ' but not dist/index.html' : ''}, not the console: ` +
      'run `npm run build` in web/console (the binary serves web/console/dist found next to its source tree, or BILLING_CONSOLE_DIR)');
  }
  if (!index.csp || !/script-src 'self'/.test(index.csp)) throw new Error(`GET / has no strict Content-Security-Policy header: ${index.csp}`);
  const js = await fetch(`${base}/assets/app.js`);
  const jsBody = await js.arrayBuffer();
  const builtJs = await readFile(join(consoleDir, 'dist', 'assets', 'app.js'));
  if (js.status !== 200 || jsBody.byteLength !== builtJs.length) throw new Error(`GET /assets/app.js answered ${js.status} with ${jsBody.byteLength} bytes, not dist/assets/app.js (${builtJs.length} bytes)`);
  return { base, port, logFile };
}

// Watches a page: console errors, page errors, failed requests, requests to other hosts.
function watch(page, base, expected) {
  const host = new URL(base).host;
  const issues = [];
  const expectedFor = (url, status) => expected.some((e) => e.status === status && e.url.test(url));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    const st = /status of (\d{3})/.exec(text);
    const url = m.location() && m.location().url;
    if (st && url && expectedFor(url, Number(st[1]))) return;
    issues.push(`console error: ${text}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (e) => issues.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:') || u.startsWith('about:')) return;
    try {
      if (new URL(u).host !== host) issues.push(`request to another host: ${u}`);
    } catch {
      issues.push(`odd request URL: ${u}`);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expectedFor(r.url(), r.status())) issues.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    const f = r.failure();
    if (f && /ERR_ABORTED/.test(f.errorText)) return; // navigation away cancels fetches: expected
    issues.push(`request failed: ${r.url()} ${f ? f.errorText : ''}`);
  });
  return issues;
}

let axeSource = null;
async function axe(page, label) {
  if (!axeSource) axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Injected through the DevTools protocol: a <script> tag would be (rightly) blocked by the CSP.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const text = bad.map((v) => `  [${v.impact}] ${v.id}: ${v.help}\n${v.nodes.slice(0, 5).map((n) => `      ${n.target.join(' ')} — ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n')}`).join('\n');
    throw new Error(`axe-core on ${label}: ${bad.length} serious/critical violation(s)\n${text}`);
  }
  return result.violations.map((v) => `${v.id} (${v.impact}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

async function settled(page) {
  await page.waitForFunction(() => document.querySelector('main h1') && !document.querySelector('main .loading'), null, { timeout: WAIT_MS });
}

async function visit(page, base, hash) {
  await page.goto(`${base}/#${hash}`, { waitUntil: 'load', timeout: WAIT_MS });
  await settled(page);
}

async function shot(page, name) {
  await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: false });
}

const results = [];
// One check: a line "ok" or "FAIL" with its name, its time and what it found (fn's return).
async function step(name, issues, fn) {
  const before = issues.length;
  const t0 = Date.now();
  try {
    const detail = await fn();
    const fresh = issues.slice(before);
    if (fresh.length) throw new Error(`problems seen on the page:\n  ${fresh.join('\n  ')}`);
    passes += 1;
    results.push({ name, ok: true });
    log(`ok   ${name} (${Date.now() - t0} ms)${detail ? ` — ${detail}` : ''}`);
  } catch (e) {
    failures += 1;
    issues.splice(before);
    results.push({ name, ok: false });
    log(`FAIL ${name} (${Date.now() - t0} ms): ${e.message}`);
  }
}

async function api(base, path, init = {}) {
  const r = await fetch(`${base}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.headers || {}) } });
  const text = await r.text();
  if (!r.ok) throw new Error(`${init.method || 'GET'} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// The number of events in the log, read oldest first page by page (the test's own count).
async function countEvents(base) {
  let n = 0;
  let after = '';
  for (let i = 0; i < 1000; i += 1) {
    const r = await api(base, `/api/events?limit=100${after ? `&after=${after}` : ''}`);
    n += r.events.length;
    if (!r.hasMore || !r.events.length) return n;
    after = r.nextAfter;
  }
  throw new Error('more than 100000 events');
}

// ---------- the test ----------
async function main() {
  await access(binary).catch(() => {
    throw new Error(`no binary at ${binary}`);
  });
  await mkdir(outDir, { recursive: true });
  await access(join(consoleDir, 'dist', 'index.html')).catch(() => {
    throw new Error(`${join(consoleDir, 'dist', 'index.html')} is missing: run \`npm ci && npm run build\` in web/console first`);
  });
  const tmp = await mkdtemp(join(os.tmpdir(), 'console-test-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));

  const dev = await startServer('dev', join(tmp, 'dev.db'));
  log(`     dev server: ${binary} on ${dev.base} serves the console (log ${dev.logFile})`);
  // Some activity so that events, webhooks, credit notes, subscriptions and the audit log have rows.
  await api(dev.base, '/api/v1/webhook-endpoints', { method: 'POST', body: JSON.stringify({ url: 'https://hooks.example.invalid/billing', enabledEvents: ['*'], description: 'ERP sync' }) });
  await api(dev.base, '/api/v1/subscriptions', { method: 'POST', body: JSON.stringify({ customerId: 'CUST-002', planId: 'PLAN-PREMIUM' }) });
  await api(dev.base, '/api/v1/invoices/INV-2025-003/pay', { method: 'POST', body: '{}' });
  await api(dev.base, '/api/v1/credit-notes', { method: 'POST', body: JSON.stringify({ invoiceId: 'INV-2025-001', amount: '50.00', reason: 'Goodwill' }) });

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  cleanups.push(() => browser.close());

  const devExpected = [
    { url: /\/api\/v1\/credit-notes$/, status: 400 }, // the refused credit note below
    { url: /\/api\/v1\/credit-notes$/, status: 422 },
  ];
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const issues = watch(page, dev.base, devExpected);
  const axeMinor = [];
  const checkAxe = async (label) => axeMinor.push([label, await axe(page, label)]);
  // Every GET /api/events the pages make, with its time.
  const eventRequests = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/events') eventRequests.push({ t: Date.now(), query: u.searchParams });
  });

  await step('dashboard: figures per currency, "Outstanding on invoices" with its note, top debtors', issues, async () => {
    await visit(page, dev.base, '/dashboard');
    await page.waitForSelector('.kpi >> nth=4', { timeout: WAIT_MS });
    await page.waitForSelector('svg.chart', { timeout: WAIT_MS });
    const card = page.locator('.kpi').first();
    const label = await card.locator('.kpi-label').innerText();
    if (!/^outstanding on invoices$/i.test(label.trim())) throw new Error(`the first card is titled "${label}", not "Outstanding on invoices"`);
    const cardText = await card.innerText();
    if (!/\$[\d,]+\.\d\d/.test(cardText)) throw new Error(`no dollar figure on the card: ${cardText}`);
    if (!/Opening balances not on an invoice are in Customers/.test(cardText)) throw new Error(`the card has no note about opening balances: ${cardText}`);
    if ((await card.locator('a[href="#/customers"]').count()) !== 1) throw new Error('the note does not link to the customers page');
    if (await page.locator('text=TechCorp Inc.').count() < 1) throw new Error('top debtors do not list TechCorp Inc.');
    await page.waitForSelector('text=Live: refreshes when new events arrive', { timeout: WAIT_MS });
    await checkAxe('dashboard');
    await shot(page, 'dashboard');
    return `first card: ${cardText.replace(/\s+/g, ' ').trim()}`;
  });

  await step('dashboard: a new event refreshes the figures, counting only the new events', issues, async () => {
    const before = await page.locator('.kpi').nth(2).innerText(); // collected this month
    const n0 = await countEvents(dev.base);
    await api(dev.base, '/api/v1/invoices/INV-2026-001/mark-paid', { method: 'POST', body: '{}' });
    const made = (await countEvents(dev.base)) - n0;
    await page.waitForSelector('text=/\\d+ new events?: figures refreshed/', { timeout: POLL_MS + WAIT_MS });
    const said = (await page.locator('.live-note').innerText()).trim();
    const shown = Number((/^(\d+)/.exec(said) || [])[1]);
    if (shown !== made) throw new Error(`the page says "${said}" but marking INV-2026-001 paid made ${made} event(s): did ?order=newest&limit=1 answer the newest event?`);
    const after = await page.locator('.kpi').nth(2).innerText();
    return `"${said}"; collected this month ${before.replace(/\s+/g, ' ')} → ${after.replace(/\s+/g, ' ')}`;
  });

  await step('dashboard: event polling never reads the whole log, at most 3 /api/events requests per poll', issues, async () => {
    // One more poll cycle with nothing new, then look at every request made since the visit.
    await page.waitForTimeout(POLL_MS + 500);
    const reqs = eventRequests.slice();
    if (!reqs.length) throw new Error('the dashboard made no /api/events request');
    const first = reqs[0].query;
    if (first.get('order') !== 'newest' || first.get('limit') !== '1') throw new Error(`the first request is not ?order=newest&limit=1 but ?${first}`);
    for (const r of reqs) {
      const q = r.query;
      const anchored = q.get('order') === 'newest' && q.get('limit') === '1' && !q.has('after');
      if (!anchored && !q.get('after')) throw new Error(`a request reads the log from its start: ?${q}`);
    }
    // Requests closer than 1 s belong to one poll cycle.
    const cycles = [];
    for (const r of reqs) {
      const c = cycles[cycles.length - 1];
      if (c && r.t - c.last < 1000) {
        c.n += 1;
        c.last = r.t;
      } else cycles.push({ n: 1, last: r.t });
    }
    const worst = Math.max(...cycles.map((c) => c.n));
    if (worst > 3) throw new Error(`a poll cycle made ${worst} /api/events requests: ${cycles.map((c) => c.n).join(', ')}`);
    if (cycles.length < 3) throw new Error(`only ${cycles.length} poll cycle(s) seen`);
    return `${reqs.length} requests in ${cycles.length} cycles (per cycle: ${cycles.map((c) => c.n).join(', ')}); first ?${first}, then ?${reqs[reqs.length - 1].query}`;
  });

  let threadId = null;
  await step('chat: streams an answer with a tool badge', issues, async () => {
    await visit(page, dev.base, '/chat');
    await page.fill('#chat-input', 'What is the outstanding balance of CUST-001?');
    await page.click('form.composer button[type=submit]');
    await page.waitForSelector('.msg-assistant .tool-call', { timeout: WAIT_MS });
    await page.waitForFunction(() => {
      const t = document.querySelector('.msg-assistant .msg-text');
      return t && /Outstanding balance/i.test(t.textContent) && !document.querySelector('.msg-status');
    }, null, { timeout: WAIT_MS });
    await checkAxe('chat');
    await shot(page, 'chat');
    const m = /#\/chat\/(console-[0-9a-f]+)/.exec(page.url());
    if (!m) throw new Error(`the conversation's thread is not in the address: ${page.url()}`);
    threadId = m[1];
    await page.waitForSelector('.thread-list a[aria-current="page"]', { timeout: WAIT_MS });
    const tool = await page.locator('.msg-assistant .tool-call .tool-name').first().innerText();
    return `thread ${threadId}, tool ${tool}`;
  });

  await step('chat: the tool badge opens on its arguments and result, the answer stays in view', issues, async () => {
    const badge = page.locator('.msg-assistant .tool-call').first();
    await badge.locator('summary').click();
    const args = await badge.locator('pre').first().innerText();
    if (!args.includes('CUST-001')) throw new Error(`the tool badge's arguments do not show CUST-001: ${args}`);
    // The screenshot shows the question, the open badge and the answer: the result scrolls in its own box.
    await page.evaluate(() => {
      const log = document.querySelector('.messages');
      const q = document.querySelector('.msg-user .msg-body');
      log.scrollTop += q.getBoundingClientRect().top - log.getBoundingClientRect().top - 6;
    });
    const inView = await page.evaluate(() => {
      const log = document.querySelector('.messages').getBoundingClientRect();
      const vis = (el) => {
        const r = el.getBoundingClientRect();
        return r.top >= log.top - 1 && r.top < log.bottom && r.bottom > log.top;
      };
      const ans = document.querySelector('.msg-assistant .msg-text');
      return { question: vis(document.querySelector('.msg-user .msg-body')), badge: vis(document.querySelector('.tool-call[open]')), answer: vis(ans), answerBottom: ans.getBoundingClientRect().bottom <= log.bottom + 1 };
    });
    if (!inView.question || !inView.badge || !inView.answer) throw new Error(`not all in view at 1280x800: ${JSON.stringify(inView)}`);
    await checkAxe('chat (tool call open)');
    await shot(page, 'chat-tool-call');
    // Reopening the thread shows the stored conversation with its tool call.
    await page.reload({ waitUntil: 'load' });
    await settled(page);
    await page.waitForSelector('.msg-assistant .tool-call', { timeout: WAIT_MS });
    return `question, open badge and answer in view${inView.answerBottom ? ' (the whole answer)' : ' (the answer starts in view)'}; reloaded thread shows the tool call`;
  });

  await step('traces: the chat\'s run is listed and its trace has an execute_tool span', issues, async () => {
    if (!threadId) throw new Error('no chat thread (the chat check failed)');
    await visit(page, dev.base, '/traces');
    await page.waitForSelector('table.data', { timeout: WAIT_MS });
    const row = page.locator('table.data tbody tr', { has: page.locator(`a[href="#/chat/${threadId}"]`) });
    if ((await row.count()) !== 1) throw new Error(`the traces list has ${await row.count()} row(s) for thread ${threadId}`);
    await checkAxe('traces');
    await shot(page, 'traces');
    const href = await row.locator('th a').first().getAttribute('href');
    await visit(page, dev.base, href.slice(1));
    await page.waitForSelector('.waterfall .wf-row', { timeout: WAIT_MS });
    const names = await page.locator('.wf-row .wf-name').allInnerTexts();
    const i = names.findIndex((n) => /^execute_tool /.test(n.trim()));
    if (i < 0) throw new Error(`no execute_tool span among: ${names.join(', ')}`);
    await page.locator('.wf-row').nth(i).click();
    await page.waitForSelector('.span-panel pre.json', { timeout: WAIT_MS });
    const attrs = await page.locator('.span-panel pre.json').first().innerText();
    if (!/"gen_ai.operation.name": "execute_tool"/.test(attrs)) throw new Error(`the span's attributes do not say execute_tool: ${attrs.slice(0, 300)}`);
    await checkAxe('trace');
    await shot(page, 'trace');
    return `${href.slice(href.lastIndexOf('/') + 1)}: ${names.map((n) => n.trim()).join(' · ')}`;
  });

  await step('customers: list, search and detail; CUST-004\'s opening balance is shown', issues, async () => {
    await visit(page, dev.base, '/customers');
    await page.waitForSelector('table.data', { timeout: WAIT_MS });
    const c4 = await page.locator('table.data tbody tr', { has: page.locator('a[href="#/customers/CUST-004"]') }).innerText();
    if (!c4.includes('$1,200.00')) throw new Error(`CUST-004's row does not show $1,200.00: ${c4}`);
    await page.fill('input[name=q]', 'techcorp');
    const rows = await page.locator('table.data tbody tr').count();
    if (rows !== 1) throw new Error(`search "techcorp" shows ${rows} rows, not 1`);
    await page.fill('input[name=q]', '');
    await page.locator('input[name=q]').blur();
    await checkAxe('customers');
    await shot(page, 'customers');
    await visit(page, dev.base, '/customers/CUST-001');
    const h1 = await page.locator('main h1').innerText();
    if (!h1.includes('TechCorp')) throw new Error(`customer page title: ${h1}`);
    await page.waitForSelector('[data-action=suspend]', { timeout: WAIT_MS });
    await checkAxe('customer detail');
    await shot(page, 'customer-detail');
  });

  await step('invoices: list, filter and detail; a refused action shows the server\'s message', issues, async () => {
    await visit(page, dev.base, '/invoices?status=overdue');
    await page.waitForSelector('table.data', { timeout: WAIT_MS });
    await checkAxe('invoices');
    await shot(page, 'invoices');
    await visit(page, dev.base, '/invoices/INV-2025-001');
    await page.waitForSelector('[data-action=pay]', { timeout: WAIT_MS });
    await page.waitForSelector('text=CN-', { timeout: WAIT_MS }); // related credit note
    await checkAxe('invoice detail');
    await shot(page, 'invoice-detail');
    await page.click('[data-action=credit-note]');
    await page.fill('dialog input[name=amount]', '999999.00');
    await page.click('dialog button[type=submit]');
    await page.waitForSelector('dialog .alert-error', { timeout: WAIT_MS });
    const msg = await page.locator('dialog .alert-error').innerText();
    if (msg.length < 10) throw new Error(`no refusal message in the dialog: ${msg}`);
    await checkAxe('action dialog');
    await shot(page, 'invoice-action-refused');
    await page.click('dialog button:has-text("Cancel")');
    return `refusal: ${msg.replace(/\s+/g, ' ').slice(0, 120)}`;
  });

  await step('payments, subscriptions, credit notes', issues, async () => {
    await visit(page, dev.base, '/payments');
    await page.waitForSelector('table.data', { timeout: WAIT_MS });
    await checkAxe('payments');
    await shot(page, 'payments');
    const first = await page.locator('table.data tbody tr th a').first().getAttribute('href');
    await visit(page, dev.base, first.slice(1));
    await checkAxe('payment detail');
    await visit(page, dev.base, '/subscriptions');
    await page.waitForSelector('table.data', { timeout: WAIT_MS });
    await checkAxe('subscriptions');
    await shot(page, 'subscriptions');
    await visit(page, dev.base, '/subscriptions/SUB-001');
    await page.waitForSelector('[data-action=cancel]', { timeout: WAIT_MS });
    await visit(page, dev.base, '/credit-notes');
    await page.waitForSelector('table.data', { timeout: WAIT_MS });
    await checkAxe('credit notes');
    await shot(page, 'credit-notes');
  });

  await step('tools: get-customer from its generated form; an enum, a boolean and an array of objects make a draft; raw JSON mode', issues, async () => {
    await visit(page, dev.base, '/tools/get-customer');
    await page.waitForSelector('form.tool-form', { timeout: WAIT_MS });
    await page.getByLabel('customerId', { exact: true }).fill('CUST-001');
    await page.click('form.tool-form button[type=submit]');
    await page.waitForSelector('.tool-result pre.json', { timeout: WAIT_MS });
    const out = await page.locator('.tool-result pre.json').innerText();
    if (!out.includes('TechCorp Inc.')) throw new Error(`result does not show the customer: ${out.slice(0, 200)}`);
    // The screenshot shows the result (under the sticky top bar).
    await page.evaluate(() => window.scrollBy(0, document.querySelector('.tool-result').getBoundingClientRect().top - 200));
    await checkAxe('tools');
    await shot(page, 'tools');
    // A form with an enum, an optional boolean and an array of objects, run for real: a draft
    // invoice of two lines.
    await visit(page, dev.base, '/tools/manage-invoices');
    const form = page.locator('form.tool-form');
    await form.locator('select[name="action"]').selectOption({ label: 'create' });
    await form.locator('input[name="customerId"]').fill('CUST-002');
    await form.locator('input[name="dueDate"]').fill('2027-01-31');
    await form.locator('select[name="draft"]').selectOption('true');
    for (const [description, quantity, price] of [['Setup', '1', '100.00'], ['Seats', '3', '25.50']]) {
      await page.click('button:has-text("Add item to items")');
      const item = form.locator('.sf-array-item').last();
      await item.locator('[name="description"]').fill(description);
      await item.locator('[name="quantity"]').fill(quantity);
      await item.locator('[name="unitPrice"]').fill(price);
    }
    await page.click('form.tool-form button[type=submit]');
    await page.waitForSelector('.tool-result pre.json', { timeout: WAIT_MS });
    const made = JSON.parse(await page.locator('.tool-result pre.json').innerText());
    if (made.success !== true || made.invoice?.status !== 'draft' || made.invoice?.items?.length !== 2) {
      throw new Error(`the form's invoice is not a two-line draft: ${JSON.stringify(made).slice(0, 300)}`);
    }
    // $100.00 + 3 x $25.50 = $176.50, before tax: the array items reached the server as objects.
    if (made.invoice.subtotal !== '$176.50') throw new Error(`subtotal ${made.invoice.subtotal}, not $176.50`);
    await page.click('button:has-text("Raw JSON")');
    const raw = await page.locator('#tool-raw').inputValue();
    if (!raw.includes('"items"') || !raw.includes('"draft": true')) {
      throw new Error(`raw JSON does not carry the form's values: ${raw}`);
    }
    await checkAxe('tools (raw JSON)');
    return `draft ${made.invoice.id} of 2 lines, subtotal ${made.invoice.subtotal}`;
  });

  await step('events and webhooks', issues, async () => {
    await visit(page, dev.base, '/events');
    await page.waitForSelector('section table.data >> nth=1', { timeout: WAIT_MS });
    await checkAxe('events');
    await shot(page, 'events');
    const ev = await page.locator('a[href^="#/events/evt_"]').first().getAttribute('href', { timeout: WAIT_MS });
    const we = await page.locator('a[href^="#/webhooks/"]').first().getAttribute('href', { timeout: WAIT_MS });
    await visit(page, dev.base, ev.slice(1));
    await page.waitForSelector('pre.json', { timeout: WAIT_MS });
    await checkAxe('event');
    await visit(page, dev.base, we.slice(1));
    await page.waitForSelector('a[href^="#/webhook-deliveries/"]', { timeout: WAIT_MS });
    await checkAxe('webhook endpoint');
    await shot(page, 'webhook-endpoint');
    const d = await page.locator('a[href^="#/webhook-deliveries/"]').first().getAttribute('href');
    await visit(page, dev.base, d.slice(1));
    await page.waitForSelector('[data-action=resend]', { timeout: WAIT_MS });
    await checkAxe('webhook delivery');
    await shot(page, 'webhook-delivery');
  });

  await step('audit: "Verify chain" shows the server\'s GET /api/audit/verify result (OK)', issues, async () => {
    await visit(page, dev.base, '/audit');
    await page.waitForSelector('table.data', { timeout: WAIT_MS });
    const [resp] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/api/audit/verify', { timeout: WAIT_MS }),
      page.click('button:has-text("Verify chain")'),
    ]);
    if (resp.status() !== 200) throw new Error(`GET /api/audit/verify answered ${resp.status()}: ${await resp.text()}`);
    const body = await resp.json();
    await page.waitForSelector('.verify-out .alert', { timeout: WAIT_MS });
    const text = (await page.locator('.verify-out .alert').innerText()).replace(/\s+/g, ' ').trim();
    if (body.ok !== true || !(body.rowsChecked > 0)) throw new Error(`the server says ${JSON.stringify(body)} for a fresh database`);
    if (!/Audit chain OK/.test(text) || !text.includes(`${body.rowsChecked} rows`)) throw new Error(`the page shows "${text}" for ${JSON.stringify(body)}`);
    await checkAxe('audit');
    await shot(page, 'audit');
    return `server ${JSON.stringify(body)}; page "${text}"`;
  });

  await step('keyboard: Tab reaches the navigation with a visible focus ring, Enter opens the page', issues, async () => {
    await visit(page, dev.base, '/dashboard');
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    let reached = null;
    for (let presses = 1; presses <= 40 && !reached; ++presses) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el.tagName !== 'A' || el.getAttribute('href') !== '#/invoices') return null;
        const style = getComputedStyle(el);
        return { outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
                 shadow: style.boxShadow !== 'none' };
      });
      if (focused) reached = { presses, ...focused };
    }
    if (!reached) throw new Error('40 presses of Tab did not reach the Invoices link');
    if (!reached.outline && !reached.shadow) throw new Error('the focused link shows no focus ring');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash.startsWith('#/invoices'), null, { timeout: WAIT_MS });
    await settled(page);
    return `the Invoices link after ${reached.presses} Tab presses, ${reached.outline ? 'outline' : 'box-shadow'} focus ring`;
  });

  // ---------- 375 px ----------
  const narrow = await browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
  const np = await narrow.newPage();
  const nIssues = watch(np, dev.base, devExpected);
  for (const [name, hash] of [['dashboard-375', '/dashboard'], ['chat-375', '/chat']]) {
    await step(`${name}: no horizontal overflow, the menu button opens the navigation`, nIssues, async () => {
      await visit(np, dev.base, hash);
      if (hash === '/dashboard') await np.waitForSelector('svg.chart', { timeout: WAIT_MS });
      if (hash === '/chat') await np.waitForSelector('.thread-list, .threads p', { timeout: WAIT_MS });
      const sw = await np.evaluate(() => document.scrollingElement.scrollWidth);
      if (sw > 376) throw new Error(`scrollWidth ${sw} > 375`);
      if (await np.locator('#main-nav').isVisible()) throw new Error('the navigation is open before the menu button is pressed');
      await shot(np, name);
      await np.click('.menu-btn');
      if (!(await np.locator('#main-nav').isVisible())) throw new Error('the menu button does not open the navigation');
      if ((await np.getAttribute('.menu-btn', 'aria-expanded')) !== 'true') throw new Error('aria-expanded is not true');
      await shot(np, `${name}-menu`);
      await np.click('#main-nav a[data-section="invoices"]');
      // The page changes on the hashchange event, a task after the click: wait for the invoices page itself, else
      // `settled` can see the page being left (it has its heading and no spinner either).
      await np.waitForFunction(() => /invoices/i.test(document.querySelector('main h1')?.textContent || ''), null,
        { timeout: WAIT_MS });
      await settled(np);
      if (await np.locator('#main-nav').isVisible()) throw new Error('the navigation stays open after choosing a page');
      const sw2 = await np.evaluate(() => document.scrollingElement.scrollWidth);
      if (sw2 > 376) throw new Error(`invoices at 375 px: scrollWidth ${sw2}`);
    });
  }
  await narrow.close();
  await context.close();

  // ---------- authentication on, read-only key ----------
  const authDb = join(tmp, 'auth.db');
  const { stdout } = await run(binary, ['keys', 'create', '--scopes', 'read', '--name', 'console-test-readonly', '--db', authDb], serverEnv(authDb));
  const key = (/bk_[0-9a-f]{64}/.exec(stdout) || [])[0];
  if (!key) throw new Error(`keys create printed no key: ${stdout}`);
  const auth = await startServer('auth', authDb);
  log(`     auth server: on ${auth.base} with a read-only key (log ${auth.logFile})`);
  const ac = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const ap = await ac.newPage();
  const aExpected = [
    { url: /\/api\//, status: 401 }, // before signing in
    { url: /\/api\/v1\/invoices\/INV-2025-001\/cancel$/, status: 403 }, // the deliberate call below
  ];
  const aIssues = watch(ap, auth.base, aExpected);
  await step('read-only key: sign in, no action buttons, the server refuses the action (403)', aIssues, async () => {
    await ap.goto(`${auth.base}/#/invoices/INV-2025-001`, { waitUntil: 'load' });
    await ap.waitForSelector('#api-key', { timeout: WAIT_MS });
    await axe(ap, 'sign-in');
    await shot(ap, 'signin');
    await ap.fill('#api-key', 'bk_wrong');
    await ap.click('form.signin button[type=submit]');
    await ap.waitForSelector('form.signin .alert-error', { timeout: WAIT_MS });
    await ap.fill('#api-key', key);
    await ap.click('form.signin button[type=submit]');
    await ap.waitForFunction(() => /Invoice INV-2025-001/.test((document.querySelector('main h1') || {}).textContent || ''), null, { timeout: WAIT_MS });
    await settled(ap);
    await ap.waitForSelector('text=Line items', { timeout: WAIT_MS });
    const actions = await ap.locator('[data-action]').count();
    if (actions) throw new Error(`${actions} action button(s) shown to a read-only key`);
    await ap.waitForSelector('.readonly-note', { timeout: WAIT_MS });
    const stored = await ap.evaluate(() => ({ local: localStorage.length, session: Object.keys(sessionStorage) }));
    if (stored.local) throw new Error('something was written to localStorage');
    await axe(ap, 'invoice detail (read-only)');
    await shot(ap, 'invoice-readonly');
    const r = await ap.evaluate(async (k) => {
      const res = await fetch('/api/v1/invoices/INV-2025-001/cancel', { method: 'POST', headers: { Authorization: `Bearer ${k}`, 'Content-Type': 'application/json' }, body: '{}' });
      return { status: res.status, body: await res.text() };
    }, key);
    if (r.status !== 403) throw new Error(`the cancel action answered ${r.status}, not 403: ${r.body}`);
    if (!/invoice/.test(r.body)) throw new Error(`the 403 does not name the scope: ${r.body}`);
    const who = await ap.locator('.who').innerText();
    return `signed in as "${who}"; cancel answered 403 ${r.body}`;
  });

  await step('read-only key: pages that need other scopes say so without calling; sign out', aIssues, async () => {
    const calls = [];
    const onReq = (rq) => {
      const p = new URL(rq.url()).pathname;
      if (/^\/api\/(events|audit|observability)/.test(p)) calls.push(p);
    };
    ap.on('request', onReq);
    await visit(ap, auth.base, '/dashboard');
    await ap.waitForSelector('svg.chart', { timeout: WAIT_MS });
    await ap.waitForSelector('text=Live refresh is off', { timeout: WAIT_MS });
    await visit(ap, auth.base, '/events');
    await ap.waitForSelector('text=Not available with this key', { timeout: WAIT_MS });
    await axe(ap, 'events (read-only)');
    await visit(ap, auth.base, '/traces');
    await ap.waitForSelector('text=Not available with this key', { timeout: WAIT_MS });
    await visit(ap, auth.base, '/audit');
    await ap.waitForSelector('text=Not available with this key', { timeout: WAIT_MS });
    if (await ap.locator('button:has-text("Verify chain")').isVisible()) throw new Error('"Verify chain" is offered to a key without admin');
    await shot(ap, 'audit-readonly');
    ap.off('request', onReq);
    if (calls.length) throw new Error(`calls the key may not make: ${calls.join(', ')}`);
    // Sign out clears the key: the next call asks for it again.
    await ap.click('.topbar button:has-text("Sign out")');
    await ap.waitForSelector('#api-key', { timeout: WAIT_MS });
    return 'dashboard (live refresh), events, traces and audit say which scope they need; no call made';
  });
  await ac.close();

  for (const [label, list] of axeMinor) if (list.length) log(`     axe, minor/moderate on ${label}: ${list.join('; ')}`);
}

main()
  .catch((e) => {
    failures += 1;
    results.push({ name: 'setup', ok: false });
    log(`FAIL setup: ${e.message}`);
  })
  .finally(async () => {
    await cleanup();
    clearTimeout(overall);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    console.log(`browser: ${passes} passed, ${failures} failed in ${secs} s; screenshots in ${outDir}${failed.length ? `\nfailed: ${failed.join('; ')}` : ''}`);
    process.exit(failures ? 1 : 0);
  });
