// Capture proxy for bench/compare.sh: forwards every request to UPSTREAM (the mock OpenAI server)
// and saves the bodies of the first N POST requests as OUT_DIR/<prefix>-turn<i>.json, so the mock
// can be benchmarked alone with exactly the bodies our server sends.
//
//   node capture-proxy.mjs <listen-port> <upstream-base-url> <out-dir> [prefix=chat] [n=2]
// Prints "capture-proxy listening on <port>" when ready. Loopback only.
import http from 'node:http';
import { writeFileSync } from 'node:fs';

const [port, upstream, outDir, prefix = 'chat', nArg = '2'] = process.argv.slice(2);
const max = Number(nArg);
const up = new URL(upstream);
let n = 0;

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.method === 'POST' && n < max) {
      n++;
      writeFileSync(`${outDir}/${prefix}-turn${n}.json`, body);
      writeFileSync(`${outDir}/${prefix}-turn${n}.path`, req.url || '/');
    }
    const headers = { ...req.headers, host: up.host, 'content-length': String(body.length) };
    const p = http.request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers },
      (r) => {
        res.writeHead(r.statusCode || 502, r.headers);
        r.pipe(res);
      },
    );
    p.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    p.end(body);
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log(`capture-proxy listening on ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
