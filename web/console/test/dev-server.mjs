// A small development server for the console: serves dist/ as billing-agent does (GET / ->
// index.html, GET /assets/<file>, with the server's Content-Security-Policy) and proxies every other
// path (/api/..., /health) to a running billing-agent. A development tool only: with
// `npm run watch` it serves each rebuild at once (the binary reads dist/ once, at start), or puts
// a new console in front of a server that serves an older one. The browser test does not use it:
// the binary must serve the console itself.
//
//   node test/dev-server.mjs --target http://127.0.0.1:4310 [--port 4320] [--dist dist]
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, resolve, dirname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

export function startDevServer({ dist, target, port = 0, host = '127.0.0.1' }) {
  const root = resolve(dist);
  const upstream = new URL(target);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const isPage = req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html');
    const isAsset = req.method === 'GET' && url.pathname.startsWith('/assets/');
    if (isPage || isAsset) {
      const rel = isPage ? 'index.html' : normalize(url.pathname).replace(/^\/+/, '');
      const file = join(root, rel);
      if (!file.startsWith(root)) {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = await readFile(file);
        const ext = file.slice(file.lastIndexOf('.'));
        res.writeHead(200, {
          'Content-Type': TYPES[ext] || 'application/octet-stream',
          'Content-Security-Policy': CSP,
          'X-Content-Type-Options': 'nosniff',
          'X-Frame-Options': 'DENY',
          'Referrer-Policy': 'no-referrer',
          'Cache-Control': 'no-cache',
        });
        res.end(body);
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 Not Found');
      }
      return;
    }
    const preq = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
    }, (pres) => {
      res.writeHead(pres.statusCode, pres.headers);
      pres.pipe(res);
    });
    preq.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: `proxy: ${e.message}` }));
    });
    req.pipe(preq);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok({ server, port: server.address().port }));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : def;
  };
  const here = dirname(fileURLToPath(import.meta.url));
  const { port } = await startDevServer({
    dist: arg('dist', join(here, '..', 'dist')),
    target: arg('target', 'http://127.0.0.1:4111'),
    port: Number(arg('port', '4320')),
  });
  console.log(`console on http://127.0.0.1:${port}/ -> ${arg('target', 'http://127.0.0.1:4111')}`);
}
