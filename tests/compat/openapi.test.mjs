// The OpenAPI document (GET /api/openapi.json; src/http/openapi.h) against the real binary: a real
// OpenAPI 3.1 validator from npm accepts it; every route the server serves is in it (Mastra's, as
// mastra-api.md lists them, and the REST API v1); and every operation in it is served (none
// answers the router's "no such route" or 405). Run by CTest (compat_openapi).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startServer } from './server.mjs';

let server;
let doc;

before(async () => {
  server = await startServer();
  const res = await fetch(`${server.baseUrl}/api/openapi.json`);
  assert.equal(res.status, 200);
  doc = await res.json();
});

after(() => server?.stop());

test('the document is valid OpenAPI 3.1', async () => {
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(validator.version, '3.1');
  assert.ok(result.valid, JSON.stringify(result.errors, null, 1));
  const again = await fetch(`${server.baseUrl}/openapi.json`);
  assert.deepEqual(await again.json(), doc);
});

// What the server serves besides /api/v1 (mastra-api.md §1-4, the billing routes of docs/http.md).
const served = [
  ['get', '/health'], ['get', '/ready'], ['get', '/api'],
  ['get', '/api/agents'], ['get', '/api/agents/{agentId}'],
  ['post', '/api/agents/{agentId}/generate'], ['post', '/api/agents/{agentId}/stream'],
  ['post', '/api/agents/{agentId}/generateVNext'], ['post', '/api/agents/{agentId}/streamVNext'],
  ['post', '/api/agents/{agentId}/generate/vnext'], ['post', '/api/agents/{agentId}/stream/vnext'],
  ['post', '/api/agents/{agentId}/generate-legacy'], ['post', '/api/agents/{agentId}/stream-legacy'],
  ['get', '/api/tools'],
  ['get', '/api/memory/status'], ['get', '/api/memory/threads'], ['post', '/api/memory/threads'],
  ['get', '/api/memory/threads/{threadId}'], ['patch', '/api/memory/threads/{threadId}'],
  ['delete', '/api/memory/threads/{threadId}'], ['get', '/api/memory/threads/{threadId}/messages'],
  ['get', '/api/audit'], ['get', '/api/events'], ['post', '/api/billing-runs'],
];

test('every route the server serves is in the document', async () => {
  for (const [method, path] of served) {
    assert.ok(doc.paths[path]?.[method], `${method} ${path} is missing`);
  }
  const tools = await (await fetch(`${server.baseUrl}/api/tools`)).json();
  assert.equal(Object.keys(tools).length, 6);
  for (const tool of Object.values(tools)) {
    const op = doc.paths[`/api/tools/${tool.id}/execute`]?.post;
    assert.ok(op, `the tool ${tool.id} is missing`);
    // The tool's own input schema, as the server validates it.
    assert.deepEqual(op.requestBody.content['application/json'].schema.properties.data.properties,
                     JSON.parse(tool.inputSchema).json.properties);
  }
  const v1 = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/'));
  for (const resource of ['customers', 'invoices', 'credit-notes', 'payments', 'refunds', 'plans',
                          'subscriptions', 'coupons', 'events', 'reports/aging', 'reports/revenue',
                          'reports/mrr', 'reports/payment-success', 'reports/ltv',
                          'reports/forecast']) {
    assert.ok(v1.includes(`/api/v1/${resource}`), resource);
  }
});

test('every operation in the document is served', async () => {
  const sample = { agentId: 'billingApiAgent', threadId: 'no-such-thread', id: 'X-1', code: 'X1' };
  let checked = 0;
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations)) {
      const url = path.replace(/\{(\w+)\}/g, (_, name) => sample[name]);
      // Writes get a body the route refuses (nothing changes); reads their plain form.
      const body = method === 'get' || method === 'delete' ? undefined : '{"__not_a_field__":1}';
      const res = await fetch(`${server.baseUrl}${url}`, {
        method: method.toUpperCase(), body,
        headers: body ? { 'content-type': 'application/json' } : {},
      });
      const text = await res.text();
      assert.notEqual(res.status, 405, `${method} ${path}: ${text}`);
      assert.ok(!(res.status === 404 && (text === '404 Not Found' || text.includes('route_not_found'))),
                `${method} ${path} is documented but not served: ${text}`);
      checked++;
    }
  }
  assert.ok(checked > 60, `only ${checked} operations`);
  // And a route that is not documented is not served.
  const nope = await fetch(`${server.baseUrl}/api/v1/nothing`);
  assert.equal(nope.status, 404);
});

test('Swagger UI is served from this server, not a CDN', async () => {
  const page = await fetch(`${server.baseUrl}/swagger-ui`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  const html = await page.text();
  assert.match(html, /\/api\/openapi\.json/);
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.length >= 3, html);
  for (const asset of assets) {
    assert.ok(asset.startsWith('/swagger-ui/'), `${asset} is not served by the server`);
    const res = await fetch(`${server.baseUrl}${asset}`);
    assert.equal(res.status, 200, asset);
    assert.ok((await res.arrayBuffer()).byteLength > 100, asset);
  }
  assert.doesNotMatch(html, /https?:\/\//);
});

test('the document and Swagger UI need no credentials; the routes they describe do', async () => {
  const locked = await startServer({ BILLING_AUTH: 'on' });
  try {
    for (const path of ['/api/openapi.json', '/openapi.json', '/swagger-ui']) {
      assert.equal((await fetch(`${locked.baseUrl}${path}`)).status, 200, path);
    }
    const customers = await fetch(`${locked.baseUrl}/api/v1/customers`);
    assert.equal(customers.status, 401);
    assert.equal((await customers.json()).error.type, 'auth_error');
  } finally {
    locked.stop();
  }
});
