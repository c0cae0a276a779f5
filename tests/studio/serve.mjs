#!/usr/bin/env node
// Serves the stock Mastra Studio (the playground of mastra@0.18.9, node_modules/mastra/dist/playground) the way
// `mastra dev` does (@mastra/deployer 0.24.9, createHonoServer with {playground:true, isDev:true}), and proxies the
// API to billing-agent on the same origin: this Studio's API client uses baseUrl "" (same origin) and cannot be
// pointed at another host, and it must be mounted at / (absolute asset URLs, router basename /).
//
// No dependencies beyond node. Usage:
//   node serve.mjs --target http://127.0.0.1:4111 [--port 4112] [--host 127.0.0.1] [--playground DIR] [--log FILE]
// --port 0 picks a free port. The first line on stdout is "studio on http://HOST:PORT -> api TARGET".
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const HOST = arg('host', '127.0.0.1');
const PORT = Number(arg('port', '4112'));
const TARGET = new URL(arg('target', 'http://127.0.0.1:4111'));
const ROOT = path.resolve(arg('playground', path.join(here, 'node_modules/mastra/dist/playground')));
const LOG = arg('log', '');  // JSONL: one line per proxied API call (method, path, status)

if (!fs.existsSync(path.join(ROOT, 'index.html'))) {
  console.error(`no Studio at ${ROOT}: run npm ci in ${here}`);
  process.exit(2);
}

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'application/javascript', '.mjs': 'application/javascript',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.json': 'application/json', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf',
  '.wasm': 'application/wasm', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

const logStream = LOG ? fs.createWriteStream(LOG, { flags: 'a' }) : null;
const log = (o) => logStream && logStream.write(JSON.stringify({ t: new Date().toISOString(), ...o }) + '\n');

let actualPort = PORT;
// index.html has one inline script that sets four globals from placeholders; mastra dev replaces each placeholder
// *including its single quotes*:
// - MASTRA_TELEMETRY_DISABLED: mastra dev writes an unquoted boolean. We always write `true`: when it is falsy the
//   Studio loads posthog-js and contacts us.i.posthog.com. Nothing may leave this machine.
// - MASTRA_SERVER_HOST / _PORT: only used for the MCP server URLs the Studio displays; ours, i.e. where the Studio is.
// - MASTRA_HIDE_CLOUD_CTA: the string 'true' hides the "Share" (Mastra Cloud) button of the sidebar.
const template = fs.readFileSync(path.join(ROOT, 'index.html'), 'utf8');
function indexHtml() {
  return template
    .replace(`'%%MASTRA_TELEMETRY_DISABLED%%'`, 'true')
    .replace(`'%%MASTRA_SERVER_HOST%%'`, `'${HOST}'`)
    .replace(`'%%MASTRA_SERVER_PORT%%'`, `'${actualPort}'`)
    .replace(`'%%MASTRA_HIDE_CLOUD_CTA%%'`, `'true'`);
}

function serveFile(req, res, rel) {
  let p;
  try { p = decodeURIComponent(rel); } catch { return false; }
  if (p.includes('\0') || /(?:^|[\/\\])\.\.(?:$|[\/\\])/.test(p)) return false;
  let file = path.join(ROOT, p);
  if (file !== ROOT && !file.startsWith(ROOT + path.sep)) return false;
  let st;
  try { st = fs.statSync(file); } catch { return false; }
  if (st.isDirectory()) {
    file = path.join(file, 'index.html');
    try { st = fs.statSync(file); } catch { return false; }
  }
  res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Content-Length': st.size });
  if (req.method === 'HEAD') return res.end(), true;
  fs.createReadStream(file).pipe(res);
  return true;
}

// Streams both ways: chat answers are SSE, so nothing is buffered.
function proxy(req, res, url) {
  const headers = { ...req.headers, host: TARGET.host };
  const up = http.request({ hostname: TARGET.hostname, port: TARGET.port, method: req.method, path: url.pathname + url.search, headers }, (ur) => {
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
    ur.on('end', () => log({ method: req.method, path: url.pathname, query: url.search, status: ur.statusCode }));
  });
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: `proxy: ${e.message}` }));
    log({ method: req.method, path: url.pathname, query: url.search, status: 502, error: e.message });
  });
  res.on('close', () => { if (!res.writableFinished) up.destroy(); });
  req.pipe(up);
}

const sseClients = new Set();

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  // The API's own paths go to billing-agent (mastra dev registers these before the Studio's routes).
  if (p === '/api' || p.startsWith('/api/') || p === '/health' || p === '/openapi.json' || p.startsWith('/swagger-ui')) {
    return proxy(req, res, url);
  }
  // mastra dev's live reload: index.html's second inline script opens this EventSource and reloads on "refresh".
  if (req.method === 'GET' && p === '/refresh-events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write('data: connected\n\n');
    sseClients.add(res);
    req.on('close', () => sseClients.delete(res));
    return;
  }
  if (req.method === 'POST' && p === '/__refresh') {
    for (const c of sseClients) c.write('data: refresh\n\n');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify({ success: true, clients: sseClients.size }));
  }
  if (req.method === 'GET' && p === '/__hot-reload-status') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify({ disabled: false, timestamp: new Date().toISOString() }));
  }
  // SPA fallback (createHonoServer's app.get('*')): a GET whose path has no '.', or ends in .html, gets index.html.
  if (req.method === 'GET' && !(p.includes('.') && !p.endsWith('.html'))) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    return res.end(indexHtml());
  }
  // Then the playground's static files, for any method (hono's serveStatic on '*').
  if (serveFile(req, res, p)) return;
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
  res.end('404 Not Found');
});

server.listen(PORT, HOST, () => {
  actualPort = server.address().port;
  console.log(`studio on http://${HOST}:${actualPort} -> api ${TARGET.origin}`);
});
const stop = () => {
  for (const c of sseClients) c.end();
  server.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
