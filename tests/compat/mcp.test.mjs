// The billing tools as an MCP server (docs/mcp.md), driven by the official MCP TypeScript SDK
// client over the Streamable HTTP transport against the real binary: initialize, list the tools,
// call get-customer, a bad argument answered as a tool error, the older SSE transport, and the
// same access rules as every route (a read-only key cannot refund, a customer-bound key sees only its customer, no key is
// refused, an Idempotency-Key replays). Run by CTest (compat_mcp).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { startServer } from './server.mjs';

let dev;   // development mode: no keys
let auth;  // authentication on
before(async () => {
  dev = await startServer();
  auth = await startServer({ BILLING_AUTH: 'on' });
});
after(() => { dev?.stop(); auth?.stop(); });

function newKey(server, ...args) {
  const out = execFileSync(server.binary, ['keys', 'create', '--db', server.db, ...args], { encoding: 'utf8' });
  return out.split('\n')[0].trim();
}

// A connected SDK client: Streamable HTTP at /mcp by default; `path` and `Transport` pick another
// URL or the older SSE transport. The transport is on `client.transport`.
async function connect(server, key, { path = 'mcp', Transport = StreamableHTTPClientTransport } = {}) {
  const headers = key ? { Authorization: `Bearer ${key}` } : {};
  const transport = new Transport(new URL(`${server.baseUrl}/api/mcp/billing/${path}`), { requestInit: { headers } });
  const client = new Client({ name: 'billing-mcp-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

test('the registry lists the server', async () => {
  const res = await fetch(`${dev.baseUrl}/api/mcp/v0/servers`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.servers[0].id, 'billing');
  const one = await (await fetch(`${dev.baseUrl}/api/mcp/v0/servers/billing`)).json();
  assert.equal(one.remotes[0].url, '/api/mcp/billing/mcp');
});

test('initialize, list the tools with their schemas, call get-customer', async () => {
  const client = await connect(dev);
  assert.equal(client.getServerVersion().name, 'Billing tools');
  assert.ok(client.getServerCapabilities().tools);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(),
                   ['billing-reports', 'get-customer', 'manage-customers', 'manage-invoices',
                    'manage-subscriptions', 'process-payment']);
  const get = tools.find((t) => t.name === 'get-customer');
  assert.equal(get.inputSchema.type, 'object');
  assert.ok(get.inputSchema.properties.customerId);
  assert.ok(get.description.length > 20);
  assert.equal(get.annotations.readOnlyHint, true);
  assert.equal(tools.find((t) => t.name === 'process-payment').annotations.readOnlyHint, false);

  const result = await client.callTool({ name: 'get-customer', arguments: { customerId: 'CUST-001' } });
  assert.equal(result.isError, false);
  assert.equal(result.structuredContent.customer.outstandingBalance, '$2,450.00');
  assert.equal(JSON.parse(result.content[0].text).customer.id, 'CUST-001');
  await client.close();
});

test('a page of another origin is refused and runs nothing', async () => {
  const res = await fetch(`${dev.baseUrl}/api/mcp/billing/mcp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Origin: 'http://evil.example' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call',
                           params: { name: 'process-payment', arguments: { action: 'process', customerId: 'CUST-003', amount: '1.00' } } }),
  });
  assert.equal(res.status, 403);
  assert.match((await res.json()).error, /Origin/);
  const client = await connect(dev);
  const history = await client.callTool({ name: 'process-payment', arguments: { action: 'history', customerId: 'CUST-003' } });
  assert.equal(history.structuredContent.payments.filter((p) => p.amountCents === 100).length, 0);
  await client.close();
});

test('the SSE URL the Studio shows takes Streamable HTTP too', async () => {
  const client = await connect(dev, '', { path: 'sse' });
  const { tools } = await client.listTools();
  assert.equal(tools.length, 6);
  await client.close();
});

test('the older SSE transport: a stream per session, messages posted to it', async () => {
  const client = await connect(dev, '', { path: 'sse', Transport: SSEClientTransport });
  const { tools } = await client.listTools();
  assert.equal(tools.length, 6);
  const result = await client.callTool({ name: 'get-customer', arguments: { customerId: 'CUST-002' } });
  assert.equal(result.isError, false);
  assert.match(result.content[0].text, /StartupHub LLC/);
  const bad = await client.callTool({ name: 'get-customer', arguments: { customerId: 42 } });
  assert.equal(bad.isError, true);
  await client.close();
  // A closed or unknown session takes no message.
  const res = await fetch(`${dev.baseUrl}/api/mcp/billing/messages?sessionId=nope`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  assert.equal(res.status, 404);
  assert.match((await res.json()).error, /No open MCP SSE session/);
});

test('an SSE session is its opener\'s: another key cannot post to it, no key is refused', async () => {
  const owner = newKey(auth, '--scopes', 'read');
  const other = newKey(auth, '--scopes', 'admin');
  const client = await connect(auth, owner, { path: 'sse', Transport: SSEClientTransport });
  assert.equal((await client.listTools()).tools.length, 6);
  const sessionUrl = client.transport._endpoint.href;
  assert.match(sessionUrl, /\/api\/mcp\/billing\/messages\?sessionId=/);
  const post = (key) => fetch(sessionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
  });
  assert.equal((await post(other)).status, 404);
  assert.equal((await post('')).status, 401);
  assert.equal((await post(owner)).status, 202);
  const noKey = await fetch(`${auth.baseUrl}/api/mcp/billing/sse`);
  assert.equal(noKey.status, 401);
  await client.close();
});

test('a bad argument is a tool error naming the field; an unknown tool a protocol error', async () => {
  const client = await connect(dev);
  const bad = await client.callTool({ name: 'get-customer', arguments: { customerId: 42 } });
  assert.equal(bad.isError, true);
  assert.match(bad.content[0].text, /customerId/);
  const rule = await client.callTool({ name: 'process-payment',
                                       arguments: { action: 'process', customerId: 'CUST-001', amount: '-5' } });
  assert.equal(rule.isError, true, JSON.stringify(rule));
  await assert.rejects(() => client.callTool({ name: 'no-such-tool', arguments: {} }), /Unknown tool/);
  await client.close();
});

test('the caller\'s key decides: none is refused, read-only cannot refund, bound sees its customer', async () => {
  await assert.rejects(() => connect(auth), /Authentication required/);
  const reader = await connect(auth, newKey(auth, '--scopes', 'read'));
  const refund = await reader.callTool({ name: 'process-payment',
                                         arguments: { action: 'refund', paymentId: 'PAY-001', amount: '10.00' } });
  assert.equal(refund.isError, true);
  assert.match(refund.content[0].text, /refund/);
  assert.equal(refund.structuredContent.code, 'PERMISSION_DENIED');
  const history = await reader.callTool({ name: 'process-payment', arguments: { action: 'history', customerId: 'CUST-002' } });
  assert.equal(history.isError, false);
  assert.equal(JSON.stringify(history.structuredContent).includes('"refundedCents":1000'), false, 'nothing was refunded');
  await reader.close();

  const bound = await connect(auth, newKey(auth, '--scopes', 'read', '--customer', 'CUST-002'));
  const own = await bound.callTool({ name: 'get-customer', arguments: { customerId: 'CUST-002' } });
  assert.equal(own.isError, false);
  const other = await bound.callTool({ name: 'get-customer', arguments: { customerId: 'CUST-001' } });
  assert.equal(other.isError, true);
  assert.equal(other.structuredContent.code, 'NOT_FOUND');
  await bound.close();
});

test('an Idempotency-Key replays a call instead of running it twice', async () => {
  const key = newKey(auth, '--scopes', 'read,payment');
  const call = {
    jsonrpc: '2.0', id: 7, method: 'tools/call',
    params: { name: 'process-payment', arguments: { action: 'process', customerId: 'CUST-003', amount: '25.00' } },
  };
  const post = () => fetch(`${auth.baseUrl}/api/mcp/billing/mcp`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json',
               Accept: 'application/json, text/event-stream', 'Idempotency-Key': 'mcp-pay-1' },
    body: JSON.stringify(call),
  });
  const first = await (await post()).json();
  const second = await (await post()).json();
  assert.equal(first.result.isError, false, JSON.stringify(first));
  assert.deepEqual(second, first);
  const client = await connect(auth, key);
  const history = await client.callTool({ name: 'process-payment', arguments: { action: 'history', customerId: 'CUST-003' } });
  const paid = history.structuredContent.payments.filter((p) => p.amountCents === 2500 && p.status === 'completed');
  assert.equal(paid.length, 1, JSON.stringify(history.structuredContent.payments));
  await client.close();
});
