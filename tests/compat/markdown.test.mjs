// The local planner's answers are CommonMark that renders as it reads (docs/tools.md "Answers"):
// real answers from the binary, for a sample of every kind of question, parsed by markdown-it
// (CommonMark, with GFM tables as Mastra's Studio renders them). Run by CTest (compat_markdown).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { startServer } from './server.mjs';

let server;
before(async () => { server = await startServer(); });
after(() => server?.stop());

const md = new MarkdownIt('commonmark').enable('table');

async function ask(content, thread) {
  const body = { messages: [{ role: 'user', content }] };
  if (thread) body.memory = { thread, resource: 'markdown-test' };
  const res = await fetch(`${server.baseUrl}/api/agents/billingApiAgent/generate`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return (await res.json()).text;
}

// The inline text a token's children render to, breaks as '\n'.
const inlineText = (inline) => inline.children
  .map((c) => (c.type === 'text' ? c.content : c.type === 'hardbreak' || c.type === 'softbreak' ? '\n' : ''))
  .join('');

// The structure every answer keeps: no syntax the text did not mean, no line run into another.
function checkStructure(question, text) {
  const tokens = md.parse(text, {});
  const where = `\n--- ${question}\n${text}`;
  const kinds = new Set();
  const walk = (list) => {
    for (const t of list) {
      kinds.add(t.type);
      if (t.children) walk(t.children);
    }
  };
  walk(tokens);
  for (const banned of ['html_inline', 'html_block', 'link_open', 'image', 'code_inline', 'em_open',
                        'heading_open', 'blockquote_open', 'code_block', 'fence', 'hr', 'ordered_list_open']) {
    assert.ok(!kinds.has(banned), `${banned} in the answer${where}`);
  }
  // A soft break would join two lines into one in the rendering.
  assert.ok(!kinds.has('softbreak'), `a line runs into the next${where}`);
  // Each list item holds only its own line: one paragraph, no break, no nested block.
  for (let i = 0; i < tokens.length; ++i) {
    if (tokens[i].type !== 'list_item_open') continue;
    assert.equal(tokens[i + 1].type, 'paragraph_open', `list item without its line${where}`);
    const inline = tokens[i + 2];
    assert.ok(!inlineText(inline).includes('\n'), `a list item holds more than its line: "${inlineText(inline)}"${where}`);
    assert.equal(tokens[i + 3].type, 'paragraph_close');
    assert.equal(tokens[i + 4].type, 'list_item_close', `a list item holds another block${where}`);
  }
  return tokens;
}

// Every source line that is a list item is rendered as one item, with the same text.
function items(tokens) {
  const out = [];
  for (let i = 0; i < tokens.length; ++i) {
    if (tokens[i].type === 'list_item_open') out.push(inlineText(tokens[i + 2]));
  }
  return out;
}

function tableRows(tokens) {
  const rows = [];
  let row = null;
  for (const t of tokens) {
    if (t.type === 'tr_open') row = [];
    if (t.type === 'inline' && row) row.push(inlineText(t));
    if (t.type === 'tr_close') { rows.push(row); row = null; }
  }
  return rows;
}

test('a customer: its sections are labels, its lists end before the next line', async () => {
  const text = await ask('Show me billing details for customer CUST-001');
  const tokens = checkStructure('customer', text);
  const list = items(tokens);
  assert.ok(list.some((x) => x.startsWith('INV-2025-001: total $2,450.00')), list.join('\n'));
  assert.ok(list.some((x) => x.startsWith('PAY-002')), list.join('\n'));
  // "Tax rate" is a paragraph of its own, not the tail of the last payment.
  assert.ok(!list.some((x) => x.includes('Tax rate')), list.join('\n'));
  const strong = tokens.flatMap((t) => t.children || []).filter((c) => c.type === 'strong_open');
  assert.ok(strong.length >= 2, 'the sections are labelled in bold');
  const paragraphs = tokens.filter((t) => t.type === 'inline').map(inlineText);
  assert.ok(paragraphs.some((p) => p.startsWith('Tax rate: 8%')), paragraphs.join('\n'));
});

test('lists of invoices and payments: one item per record', async () => {
  for (const q of ['List all overdue invoices', 'Show failed payments', 'Show all customers with quarterly billing cycles',
                   'Payment history for CUST-001', 'What plans do we offer?']) {
    const text = await ask(q);
    const tokens = checkStructure(q, text);
    const list = items(tokens);
    const sourceItems = text.split('\n').filter((l) => l.startsWith('- ')).length;
    assert.equal(list.length, sourceItems, `${q}\n${text}`);
  }
});

test('rankings and report figures are tables', async () => {
  const aging = await ask('aging report');
  let rows = tableRows(checkStructure('aging', aging));
  assert.deepEqual(rows[0], ['Customer', 'Due', 'Overdue', 'Over 90 days'], aging);
  assert.ok(rows.some((r) => r[0] === 'CUST-001 TechCorp Inc.' && r[1] === '$2,450.00'), aging);
  const ranking = await ask('Which customers owe the most?');
  rows = tableRows(checkStructure('ranking', ranking));
  assert.deepEqual(rows[0], ['#', 'Customer', 'Outstanding', 'Status'], ranking);
  assert.deepEqual(rows[1].slice(0, 3), ['1', 'CUST-001 TechCorp Inc.', '$2,450.00'], ranking);
  const revenue = await ask('revenue last year');
  rows = tableRows(checkStructure('revenue', revenue));
  assert.equal(rows[0][0], 'Month', revenue);
});

test('names with Markdown characters show as typed, and so do errors and questions back', async () => {
  const company = '*Star* <b>Labs</b> [x](y) `z` _w_';
  const made = await fetch(`${server.baseUrl}/api/v1/customers`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ company, email: 'star@labs.example' }),
  });
  const customer = await made.json();
  assert.equal(made.status, 200, JSON.stringify(customer));
  const id = customer.id;
  const text = await ask(`Show me billing details for customer ${id}`);
  const tokens = checkStructure('odd name', text);
  const first = inlineText(tokens.find((t) => t.type === 'inline'));
  assert.ok(first.startsWith(`${company} (${id})`), `${first}\n${text}`);
  for (const q of ['Refund payment PAY-999', 'Create an invoice', 'hello', 'What is the balance of CUST-999?']) {
    checkStructure(q, await ask(q));
  }
});
