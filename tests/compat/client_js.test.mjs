// Compatibility: the official @mastra/client-js 0.17.x (what npm resolves on Node 20) calls every
// method of mastra-api.md section 5 against the real billing-agent binary, plus the body CometChat
// sends. Run by CTest (compat_client_js) with BILLING_AGENT_BINARY set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MastraClient } from '@mastra/client-js';
import { startServer } from './server.mjs';

let server;
let baseUrl;

before(async () => {
  server = await startServer();
  baseUrl = server.baseUrl;
});

after(() => server?.stop());

const client = () => new MastraClient({ baseUrl, retries: 0 });

test('getAgents lists billingApiAgent with its tools', async () => {
  const agents = await client().getAgents();
  assert.ok(agents.billingApiAgent, JSON.stringify(agents));
  assert.equal(agents.billingApiAgent.name, 'Billing API Agent');
  assert.deepEqual(Object.keys(agents.billingApiAgent.tools).sort(),
                   ['billingReportsTool', 'getCustomerTool', 'manageCustomersTool', 'manageInvoicesTool', 'manageSubscriptionsTool',
                    'processPaymentTool']);
});

test('agent.details', async () => {
  const details = await client().getAgent('billingApiAgent').details();
  assert.equal(details.name, 'Billing API Agent');
  assert.equal(typeof details.instructions, 'string');
  assert.ok(details.tools.getCustomerTool.inputSchema);
});

test('generate with a string', async () => {
  const res = await client().getAgent('billingApiAgent').generate('Show me billing details for customer CUST-001');
  assert.equal(res.finishReason, 'stop');
  assert.match(res.text, /\$2,450\.00/);
  assert.equal(res.toolCalls[0].payload.toolName, 'getCustomerTool');
  assert.ok(Array.isArray(res.response.messages));
});

test('generate with messages', async () => {
  const res = await client().getAgent('billingApiAgent').generate(
    [{ role: 'user', content: 'Show all customers with quarterly billing cycles' }], { maxSteps: 3 });
  assert.match(res.text, /StartupHub LLC/);
  assert.equal(res.toolResults[0].payload.result.count, 2);  // StartupHub (USD), Sakura Trading (JPY)
});

test('generate with memory: the server keeps the conversation', async () => {
  const agent = client().getAgent('billingApiAgent');
  const memory = { thread: 'compat-t1', resource: 'compat-u1' };
  const first = await agent.generate('Create an invoice for CUST-001', { memory, maxSteps: 3 });
  assert.match(first.text, /amount/);
  const second = await agent.generate('$500 due 2026-12-31 for consulting', { memory });
  const result = second.toolResults[0].payload.result;
  assert.equal(result.success, true, JSON.stringify(result));
  assert.equal(result.invoice.total, '$540.00');
});

test('generate, old single-object form with threadId/resourceId/runtimeContext', async () => {
  const agent = client().getAgent('billingApiAgent');
  const res = await agent.generate({
    messages: [{ role: 'user', content: 'Show payment history for customer CUST-001' }],
    threadId: 'compat-t2', resourceId: 'compat-u2', runtimeContext: { foo: 'bar' },
  });
  assert.equal(res.toolResults[0].payload.toolName, 'processPaymentTool');
  const threads = await client().getMemoryThreads({ resourceId: 'compat-u2', agentId: 'billingApiAgent' });
  assert.equal(threads.length, 1);
  assert.equal(threads[0].id, 'compat-t2');
});

test('stream with processDataStream', async () => {
  const agent = client().getAgent('billingApiAgent');
  const response = await agent.stream('Show me billing details for customer CUST-002',
    { memory: { thread: 'compat-t3', resource: 'compat-u3' } });
  const types = [];
  let text = '';
  let finish;
  await response.processDataStream({
    onChunk: async (chunk) => {
      types.push(chunk.type);
      if (chunk.type === 'text-delta') text += chunk.payload.text;
      if (chunk.type === 'finish') finish = chunk.payload;
    },
  });
  for (const t of ['start', 'step-start', 'tool-call', 'tool-result', 'step-finish', 'text-delta', 'finish']) {
    assert.ok(types.includes(t), `missing ${t} in ${types.join(',')}`);
  }
  assert.match(text, /StartupHub LLC/);
  assert.equal(finish.stepResult.reason, 'stop');
  assert.ok(finish.usage);
});

test('tool approval: stream stops at each call; approveToolCall and declineToolCall go on', async () => {
  const agent = client().getAgent('billingApiAgent');
  const collect = async (response) => {
    const chunks = [];
    await response.processDataStream({ onChunk: async (chunk) => { chunks.push(chunk); } });
    return chunks;
  };
  const pending = (chunks) => chunks.find((c) => c.type === 'tool-call-approval')?.payload;
  const runId = 'compat-approval-1';
  const first = await collect(await agent.stream(
    'Process a payment of $100 for invoice INV-2025-001 by bank transfer',
    { runId, requireToolApproval: true }));
  const lookup = pending(first);
  assert.ok(lookup, `no tool-call-approval in ${first.map((c) => c.type).join(',')}`);
  assert.equal(lookup.toolName, 'manageInvoicesTool');
  assert.ok(!first.some((c) => c.type === 'tool-result'), 'nothing runs before the approval');

  const second = await collect(await agent.approveToolCall({ runId, toolCallId: lookup.toolCallId }));
  assert.equal(second[0].type, 'tool-result');
  const pay = pending(second);
  assert.equal(pay?.toolName, 'processPaymentTool');

  const third = await collect(await agent.declineToolCall({ runId, toolCallId: pay.toolCallId }));
  assert.equal(third[0].payload.result, 'Tool call was not approved by the user');
  const text = third.filter((c) => c.type === 'text-delta').map((c) => c.payload.text).join('');
  assert.match(text, /not approved/);
  assert.equal(third.at(-1).type, 'finish');
});

test('model picker: updateModel and resetModel', async () => {
  const agent = client().getAgent('billingApiAgent');
  const providers = await (await fetch(`${baseUrl}/api/agents/providers`)).json();
  assert.deepEqual(providers.providers.map((p) => p.id), ['local', 'openai']);
  assert.deepEqual(await agent.updateModel({ provider: 'local', modelId: 'billing-planner' }),
    { message: 'Agent model updated' });
  await assert.rejects(() => agent.updateModel({ provider: 'nope', modelId: 'x' }), /provider must be one of/);
  assert.deepEqual(await agent.resetModel(), { message: 'Agent model reset to original' });
  assert.equal((await agent.details()).modelId, 'billing-planner');
});

test('legacy generate and stream', async () => {
  const agent = client().getAgent('billingApiAgent');
  const res = await agent.generateLegacy({ messages: 'Show me all failed payments' });
  // AI SDK v4: top-level toolCalls/toolResults are the last step's; the tool ran in step 1.
  assert.equal(res.steps[0].toolResults[0].toolName, 'processPaymentTool');
  assert.equal(res.finishReason, 'stop');
  assert.match(res.text, /PAY-00/);
  const stream = await agent.streamLegacy({ messages: 'Show me all failed payments' });
  let text = '';
  await stream.processDataStream({ onTextPart: (t) => { text += t; } });
  assert.match(text, /PAY-00/);
});

test('memory threads: create and list', async () => {
  const c = client();
  const thread = await c.createMemoryThread({ resourceId: 'compat-u4', agentId: 'billingApiAgent',
                                              title: 'My chat', metadata: { k: 'v' } });
  assert.equal(thread.title, 'My chat');
  assert.equal(thread.resourceId, 'compat-u4');
  const threads = await c.getMemoryThreads({ resourceId: 'compat-u4', agentId: 'billingApiAgent' });
  assert.deepEqual(threads.map((t) => t.id), [thread.id]);
});

test('tools: list, details, execute (both routes)', async () => {
  const c = client();
  const tools = await c.getTools();
  assert.equal(tools.getCustomerTool.id, 'get-customer');
  const details = await c.getTool('get-customer').details();
  assert.equal(details.id, 'get-customer');
  const direct = await c.getTool('get-customer').execute({ data: { customerId: 'CUST-003' } });
  assert.equal(direct.customer.outstandingBalance, '$875.50');
  const viaAgent = await c.getAgent('billingApiAgent').executeTool('process-payment',
    { data: { action: 'list_failed' } });
  assert.equal(viaAgent.count, 3);
});

test('observability: getAITraces and getAITrace read the runs as Mastra stores them', async () => {
  const c = client();
  await c.getAgent('billingApiAgent').generate('Show me billing details for customer CUST-003');
  const page = await c.getAITraces({ pagination: { page: 0, perPage: 5 },
                                     filters: { entityId: 'billingApiAgent', entityType: 'agent' } });
  assert.ok(page.pagination.total >= 1, JSON.stringify(page.pagination));
  const root = page.spans[0];
  assert.equal(root.name, 'invoke_agent billingApiAgent');
  assert.equal(root.spanType, 'agent_run');
  const trace = await c.getAITrace(root.traceId);
  assert.equal(trace.traceId, root.traceId);
  const names = trace.spans.map((s) => s.name);
  assert.ok(names.includes('execute_tool getCustomerTool'), names.join(', '));
  const tool = trace.spans.find((s) => s.spanType === 'tool_call');
  assert.equal(tool.parentSpanId, root.spanId);
  assert.equal(tool.attributes['gen_ai.tool.name'], 'getCustomerTool');
});

test('unknown agent is a 404 error', async () => {
  await assert.rejects(() => client().getAgent('noSuchAgent').details(), /404/);
});

test('CometChat body: messages plus runtimeContext.cometchatContext', async () => {
  const res = await fetch(`${baseUrl}/api/agents/billingApiAgent/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content: 'Show me all overdue invoices' }],
      runtimeContext: { cometchatContext: { sender: { uid: 'user123', role: 'admin' }, messageMetadata: {} } },
    }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.match(body.text, /INV-2025-001/);
});
