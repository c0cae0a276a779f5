#!/usr/bin/env node
// How the console loads on a slow line (docs/console.md "Weight"): the real binary serves it,
// Debian's Chromium (playwright-core from web/console) opens the dashboard with the network
// throttled by the DevTools protocol, and we time, per run:
//   - bytes: what crossed the wire for the page and its assets (gzip as sent), and for the API
//     calls the dashboard makes;
//   - first paint of the shell (DOMContentLoaded) and the dashboard's figures on screen.
// Each line profile is run --runs times (default 5), each in a fresh browser context (no cache);
// the median and the spread are printed.
//
//   node bench/console_load.mjs --binary build/release/billing-agent [--runs 5]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(resolve(here, '../web/console/package.json'));
const { chromium } = require('playwright-core');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const binary = resolve(arg('binary', resolve(here, '../build/release/billing-agent')));
const runs = Number(arg('runs', '5'));

// Chrome DevTools' presets, as the DevTools protocol takes them (bytes per second, ms).
const LINES = [
  { name: 'DSL 1.5 Mbit/s, 50 ms', download: 1_500_000 / 8, upload: 384_000 / 8, latency: 50 },
  { name: '"Slow 3G" 400 kbit/s, 400 ms', download: 400_000 / 8, upload: 400_000 / 8, latency: 400 },
];

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function startServer() {
  const dir = await mkdtemp(join(os.tmpdir(), 'console-bench-'));
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--db', join(dir, 'bench.db'), '--run-interval', 'off'],
                      { stdio: 'ignore', env: { ...process.env, BILLING_AUTH: 'off' } });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; ++i) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const index = await fetch(`${base}/`);
  if (!index.ok) throw new Error(`GET / answered ${index.status}: build the console (npm run build in web/console)`);
  return { base, stop: async () => { child.kill('SIGTERM'); await rm(dir, { recursive: true, force: true }); } };
}

async function once(browser, base, line) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions',
                 { offline: false, latency: line.latency, downloadThroughput: line.download, uploadThroughput: line.upload });
  const urls = new Map();
  let assetBytes = 0, apiBytes = 0;
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const url = urls.get(e.requestId) || '';
    if (new URL(url).pathname.startsWith('/api/')) apiBytes += e.encodedDataLength;
    else assetBytes += e.encodedDataLength;
  });
  const t0 = Date.now();
  await page.goto(`${base}/#/dashboard`, { waitUntil: 'domcontentloaded' });
  const shellMs = Date.now() - t0;
  await page.waitForSelector('.kpis .kpi-value', { timeout: 120_000 });
  const figuresMs = Date.now() - t0;
  await context.close();
  return { shellMs, figuresMs, assetBytes, apiBytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => `${Math.min(...xs)}–${Math.max(...xs)}`;

const server = await startServer();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
});
try {
  console.log(`console load, ${runs} runs per line, fresh context each (no cache)`);
  for (const line of LINES) {
    const results = [];
    for (let i = 0; i < runs; ++i) results.push(await once(browser, server.base, line));
    const pick = (k) => results.map((r) => r[k]);
    console.log(`${line.name}: shell ${median(pick('shellMs'))} ms (${spread(pick('shellMs'))}), ` +
                `figures ${median(pick('figuresMs'))} ms (${spread(pick('figuresMs'))}), ` +
                `page+assets ${median(pick('assetBytes'))} B on the wire, API ${median(pick('apiBytes'))} B`);
  }
} finally {
  await browser.close();
  await server.stop();
}
