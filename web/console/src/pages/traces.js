// Traces of agent runs (Mastra observability routes): the list of root spans, and one trace as a
// waterfall of its span tree; a span's attributes, input and output on selection.
import { h, replace } from '../dom.js';
import { request, isAbort, ApiError, missingScopes } from '../api.js';
import { pageHeader, errorBox, loading, table, notice, section, fields, jsonView, statusBadge, scopeNotice } from '../ui.js';
import { dateTime, duration } from '../format.js';

const PER_PAGE = 20;

function spanMs(s) {
  const a = Date.parse(s.startedAt);
  const b = Date.parse(s.endedAt);
  return Number.isNaN(a) || Number.isNaN(b) ? null : Math.max(0, b - a);
}

// The run's memory thread (metadata.threadId): the console's own conversations open in the chat.
function conversationLink(s) {
  const t = (s.metadata && s.metadata.threadId) || (s.attributes && s.attributes['gen_ai.conversation.id']) || '';
  if (!t) return h('span', { class: 'muted' }, '—');
  const mine = !s.metadata || !s.metadata.resourceId || s.metadata.resourceId === 'console';
  return mine ? h('a', { class: 'mono-nowrap', href: `#/chat/${encodeURIComponent(t)}` }, t) : h('span', { class: 'mono-nowrap' }, t);
}

function unavailable(e) {
  return e instanceof ApiError && (e.status === 404 || e.status === 501);
}

// Traces hold every caller's conversations: for administrators only. Shows why in `body` and
// returns true when the key lacks the scope.
async function lacksAdmin(body) {
  const lacking = await missingScopes('admin');
  if (!lacking.length) return false;
  replace(body, scopeNotice(lacking, 'Traces (they hold every caller’s conversations)'));
  return true;
}

export async function tracesPage(ctx) {
  const { main, query, signal, hrefFor } = ctx;
  document.title = 'Traces · Billing console';
  const page = Math.max(0, Number.parseInt(query.get('page') || '0', 10) || 0);
  const body = h('div', { class: 'results' }, loading('Loading traces…'));
  main.append(pageHeader('Traces', { subtitle: 'Agent runs: model calls and tool calls, with their timing.' }), body);
  if (await lacksAdmin(body)) return undefined;
  let r;
  try {
    r = await request('/api/observability/traces', { query: { page, perPage: PER_PAGE }, signal });
  } catch (e) {
    if (isAbort(e)) return undefined;
    replace(body, unavailable(e) ? notice('Traces are not available on this server.', 'info') : errorBox(e));
    return undefined;
  }
  const spans = r.spans || [];
  const pg = r.pagination || {};
  replace(body,
    h('p', { class: 'muted result-count' }, pg.total !== undefined ? `${pg.total} ${pg.total === 1 ? 'trace' : 'traces'}` : ''),
    table([
      { label: 'Run', value: (s) => h('a', { href: `#/traces/${encodeURIComponent(s.traceId)}` }, s.name || s.traceId), class: 'nowrap' },
      { label: 'Started', value: (s) => dateTime(s.startedAt, true), class: 'nowrap' },
      { label: 'Duration', num: true, value: (s) => duration(spanMs(s)) },
      { label: 'Conversation', value: (s) => conversationLink(s), class: 'hide-sm' },
      { label: 'Status', value: (s) => statusBadge(s.error ? 'error' : s.endedAt ? 'ok' : 'pending') },
      // The start of the id (the trace's page shows all of it).
      { label: 'Trace id', value: (s) => h('span', { class: 'mono-nowrap', title: s.traceId }, s.traceId.length > 16 ? `${s.traceId.slice(0, 16)}…` : s.traceId), class: 'hide-sm' },
    ], spans, { caption: 'Traces', empty: 'No traces yet: chat with the agent to make one.' }),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      page > 0 ? h('a', { class: 'btn', href: hrefFor('/traces', { page: page - 1 }), rel: 'prev' }, 'Previous page') : null,
      pg.hasMore ? h('a', { class: 'btn', href: hrefFor('/traces', { page: page + 1 }), rel: 'next' }, 'Next page') : null));
  return undefined;
}

export async function tracePage(ctx, traceId) {
  const { main, signal } = ctx;
  document.title = `Trace · Billing console`;
  const body = h('div', null, loading('Loading trace…'));
  main.append(pageHeader('Trace', { crumbs: [['Traces', '#/traces'], [traceId.slice(0, 12)]], subtitle: h('span', { class: 'mono' }, traceId) }), body);
  if (await lacksAdmin(body)) return undefined;
  let r;
  try {
    r = await request(`/api/observability/traces/${encodeURIComponent(traceId)}`, { signal });
  } catch (e) {
    if (isAbort(e)) return undefined;
    replace(body, unavailable(e) && e.message.includes('404 Not Found') ? notice('Traces are not available on this server.', 'info') : errorBox(e));
    return undefined;
  }
  const spans = (r.spans || []).slice();
  if (!spans.length) {
    replace(body, notice('This trace has no spans.', 'info'));
    return undefined;
  }
  // Tree order: children after their parent, siblings by start time.
  const byParent = new Map();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const s of spans) {
    const p = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(s);
  }
  for (const list of byParent.values()) list.sort((a, b) => String(a.startedAt).localeCompare(String(b.startedAt)));
  const ordered = [];
  const walk = (parent, depth) => {
    for (const s of byParent.get(parent) || []) {
      ordered.push({ s, depth });
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  const t0 = Math.min(...spans.map((s) => Date.parse(s.startedAt)).filter((x) => !Number.isNaN(x)));
  const t1 = Math.max(...spans.map((s) => Date.parse(s.endedAt || s.startedAt)).filter((x) => !Number.isNaN(x)));
  const total = Math.max(1, t1 - t0);

  const panel = h('div', { class: 'span-panel' });
  const buttons = [];
  const select = (i) => {
    buttons.forEach((b, j) => b.setAttribute('aria-pressed', j === i ? 'true' : 'false'));
    const { s } = ordered[i];
    replace(panel, section(s.name || s.spanId,
      fields([
        ['Type', s.spanType],
        ['Started', dateTime(s.startedAt, true)],
        ['Ended', s.endedAt ? dateTime(s.endedAt, true) : 'running'],
        ['Duration', duration(spanMs(s))],
        ['Span id', h('span', { class: 'mono' }, s.spanId)],
        ['Parent', s.parentSpanId ? h('span', { class: 'mono' }, s.parentSpanId) : 'none (root)'],
      ]),
      s.error ? h('div', null, h('h3', { class: 'sub-h' }, 'Error'), jsonView(s.error, 'Error')) : null,
      h('h3', { class: 'sub-h' }, 'Attributes'), jsonView(s.attributes || {}, 'Attributes'),
      s.metadata ? [h('h3', { class: 'sub-h' }, 'Metadata'), jsonView(s.metadata, 'Metadata')] : null,
      h('h3', { class: 'sub-h' }, 'Input'), jsonView(s.input === undefined ? null : s.input, 'Input'),
      h('h3', { class: 'sub-h' }, 'Output'), jsonView(s.output === undefined ? null : s.output, 'Output')));
  };
  const rows = ordered.map(({ s, depth }, i) => {
    const start = Date.parse(s.startedAt) - t0;
    const ms = spanMs(s);
    const bar = h('span', { class: `wf-bar wf-${s.spanType || 'span'}${s.error ? ' wf-error' : ''}` });
    bar.style.setProperty('--left', `${((start / total) * 100).toFixed(2)}%`);
    bar.style.setProperty('--width', `${Math.max(0.5, ((ms || 0) / total) * 100).toFixed(2)}%`);
    const name = h('span', { class: 'wf-name' }, s.name || s.spanId);
    name.style.setProperty('--depth', String(depth));
    const btn = h('button', { type: 'button', class: 'wf-row', 'aria-pressed': 'false' },
      name,
      h('span', { class: 'wf-track', 'aria-hidden': 'true' }, bar),
      h('span', { class: 'wf-dur' }, duration(ms)),
      s.error ? h('span', { class: 'sr-only' }, ' (failed)') : null);
    btn.addEventListener('click', () => select(i));
    buttons.push(btn);
    return h('li', null, btn);
  });
  replace(body,
    h('div', { class: 'card' },
      h('div', { class: 'wf-head' }, h('span', null, 'Span'), h('span', { class: 'wf-scale' }, `0 – ${duration(total)}`), h('span', null, 'Duration')),
      h('ol', { class: 'waterfall', 'aria-label': 'Spans of this trace; choose one for its details' }, rows)),
    panel);
  select(0);
  return undefined;
}
