// Audit log (GET /api/audit, admin scope): rows with before/after, filters by actor and end user,
// and "Verify chain": GET /api/audit/verify, the server's check of the whole hash chain (the same
// as the CLI's `billing-agent audit verify`). The chain's rule lives on the server only.
import { h, replace } from '../dom.js';
import { request, isAbort, missingScopes } from '../api.js';
import { pageHeader, errorBox, loading, table, control, jsonView, scopeNotice } from '../ui.js';
import { dateTime } from '../format.js';

const PAGE = 50;

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// {"ok", "rowsChecked", "firstBrokenSeq", "reason"} -> the alert shown under the header.
export function verifyResult(r, hrefFor) {
  const rows = Number(r && r.rowsChecked) || 0;
  if (r && r.ok === true) {
    return h('div', { class: 'alert alert-ok', role: 'status' },
      h('strong', null, 'Audit chain OK'),
      h('p', null, `${plural(rows, 'row', 'rows')} checked by the server: every link and hash matches.`));
  }
  const seq = r && r.firstBrokenSeq !== null && r.firstBrokenSeq !== undefined ? r.firstBrokenSeq : null;
  return h('div', { class: 'alert alert-error', role: 'alert' },
    h('strong', null, seq !== null ? `Audit chain broken at row ${seq}` : 'Audit chain broken'),
    h('p', null, r && r.reason ? `${r.reason.charAt(0).toUpperCase()}${r.reason.slice(1)}.` : 'The server gave no reason.'),
    h('p', null, `${plural(rows, 'row', 'rows')} before it verified.`,
      seq !== null && seq > 1 ? [' ', h('a', { href: hrefFor('/audit', { after: seq - 1 }) }, `Show the rows from ${seq}`)] : null));
}

export async function auditPage(ctx) {
  const { main, query, signal, hrefFor } = ctx;
  document.title = 'Audit log · Billing console';
  const after = query.get('after') || '';
  const actor = query.get('actor') || '';
  const onBehalfOf = query.get('onBehalfOf') || '';

  const verifyBtn = h('button', { type: 'button', class: 'btn btn-primary' }, 'Verify chain');
  const verifyOut = h('div', { class: 'verify-out', 'aria-live': 'polite' });
  verifyBtn.addEventListener('click', async () => {
    verifyBtn.disabled = true;
    replace(verifyOut, loading('Verifying the chain on the server…'));
    try {
      replace(verifyOut, verifyResult(await request('/api/audit/verify', { signal }), hrefFor));
    } catch (e) {
      if (!isAbort(e)) replace(verifyOut, errorBox(e, { title: 'The chain could not be verified' }));
    } finally {
      verifyBtn.disabled = false;
    }
  });

  const actorIn = h('input', { name: 'actor', type: 'text', value: actor, placeholder: 'key:bk_1a2b3c4d', autocomplete: 'off', spellcheck: 'false' });
  const oboIn = h('input', { name: 'onBehalfOf', type: 'text', value: onBehalfOf, placeholder: 'cometchat:user123', autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    control('Actor', actorIn), control('On behalf of', oboIn),
    h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'), h('a', { class: 'btn', href: '#/audit' }, 'Reset')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = hrefFor('/audit', { actor: actorIn.value.trim(), onBehalfOf: oboIn.value.trim() });
  });
  const rowsSlot = h('div', { class: 'results' }, loading());
  const filterCard = h('div', { class: 'card' }, form);
  main.append(pageHeader('Audit log', { subtitle: 'Every change, hash-chained. Oldest first.', actions: [verifyBtn] }),
    verifyOut,
    filterCard,
    rowsSlot);

  const lacking = await missingScopes('admin');
  if (lacking.length) {
    verifyBtn.hidden = true;
    filterCard.hidden = true;
    replace(rowsSlot, scopeNotice(lacking, 'The audit log'));
    return undefined;
  }
  try {
    const r = await request('/api/audit', { query: { after: after || 0, limit: PAGE, actor, onBehalfOf }, signal });
    const entries = r.entries || [];
    replace(rowsSlot,
      table([
        { label: 'Seq', num: true, value: (e) => String(e.seq) },
        { label: 'Time', value: (e) => dateTime(e.at, true), class: 'nowrap' },
        { label: 'Actor', value: (e) => h('span', null, e.actor, e.onBehalfOf ? h('span', { class: 'muted' }, ` for ${e.onBehalfOf.id}`) : null) },
        { label: 'Action', value: (e) => e.action },
        { label: 'Entity', value: (e) => `${e.entityType || ''} ${e.entityId || ''}`.trim() || '—' },
        { label: 'Change', value: (e) => h('details', { class: 'audit-change' }, h('summary', null, 'Before / after'),
          h('div', { class: 'audit-json' },
            h('h3', { class: 'sub-h' }, 'Before'), jsonView(e.before, `Before, row ${e.seq}`),
            h('h3', { class: 'sub-h' }, 'After'), jsonView(e.after, `After, row ${e.seq}`),
            h('p', { class: 'muted mono small' }, `request ${e.requestId || '—'} · hash ${e.hash}`))) },
      ], entries, { caption: 'Audit log', empty: 'No audit rows match.' }),
      h('nav', { class: 'pager', 'aria-label': 'Audit pages' },
        after ? h('a', { class: 'btn', href: hrefFor('/audit', { actor, onBehalfOf }) }, 'First page') : null,
        r.hasMore ? h('a', { class: 'btn', rel: 'next', href: hrefFor('/audit', { actor, onBehalfOf, after: r.nextAfter }) }, 'Next page') : null));
  } catch (e) {
    if (!isAbort(e)) replace(rowsSlot, errorBox(e));
  }
  return undefined;
}
