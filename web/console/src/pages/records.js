// Customers, invoices, payments, subscriptions and credit notes: lists with the filters the REST
// routes take, cursor paging, detail pages with related records and the actions the API offers.
import { h, replace, uid } from '../dom.js';
import { request, me, can, isAbort } from '../api.js';
import {
  pageHeader, errorBox, loading, statusBadge, table, fields, section, link, confirmAction,
  control, select, toast, safe, notice,
} from '../ui.js';
import { money, date, dateTime, humanize } from '../format.js';

const PAGE_SIZE = 25;
const PAYMENT_METHODS = ['credit_card', 'bank_transfer', 'paypal', 'crypto'];

const enc = encodeURIComponent;
const customerLink = (id, name) => (id ? h('a', { href: `#/customers/${enc(id)}` }, name ? `${name}` : id) : '—');
const invoiceLink = (id) => (id ? h('a', { href: `#/invoices/${enc(id)}` }, id) : '—');
const paymentLink = (id) => (id ? h('a', { href: `#/payments/${enc(id)}` }, id) : '—');
const mono = (t) => h('span', { class: 'mono' }, t);
const amount = (cents, cur) => money(cents, cur);

// ---------- resources ----------

export const RESOURCES = {
  customers: {
    path: 'customers',
    title: 'Customers',
    singular: 'Customer',
    api: '/api/v1/customers',
    filters: [
      { name: 'status', label: 'Status', options: ['', 'active', 'suspended'] },
      { name: 'billingCycle', label: 'Billing cycle', options: ['', 'monthly', 'quarterly', 'annual'] },
      { name: 'paymentMethod', label: 'Payment method', options: ['', ...PAYMENT_METHODS] },
      { name: 'currency', label: 'Currency', text: true, size: 4, placeholder: 'USD' },
    ],
    searchLabel: 'Search id, company, contact or email on this page',
    searchText: (r) => [r.id, r.company, r.contactName, r.email].join(' '),
    columns: [
      { label: 'Customer', value: (r) => h('a', { href: `#/customers/${enc(r.id)}` }, r.id) },
      { label: 'Company', value: (r) => r.company },
      { label: 'Email', value: (r) => r.email, class: 'hide-sm' },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Cycle', value: (r) => humanize(r.billingCycle), class: 'hide-sm' },
      { label: 'Currency', value: (r) => r.currency, class: 'hide-sm' },
      { label: 'Outstanding', num: true, value: (r) => amount(r.outstandingBalanceCents, r.currency) },
    ],
    detail: customerDetail,
  },
  invoices: {
    path: 'invoices',
    title: 'Invoices',
    singular: 'Invoice',
    api: '/api/v1/invoices',
    filters: [
      { name: 'customer', label: 'Customer id', text: true, size: 10, placeholder: 'CUST-001' },
      { name: 'status', label: 'Status', options: ['', 'pending', 'overdue', 'paid', 'cancelled', 'draft'] },
    ],
    searchLabel: 'Search invoice, customer or notes on this page',
    searchText: (r) => [r.id, r.customerId, r.customerName, r.notes].join(' '),
    columns: [
      { label: 'Invoice', value: (r) => invoiceLink(r.id) },
      { label: 'Customer', value: (r) => customerLink(r.customerId, r.customerName || r.customerId) },
      { label: 'Issued', value: (r) => date(r.issueDate), class: 'hide-sm nowrap' },
      { label: 'Due', value: (r) => date(r.dueDate), class: 'nowrap' },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Total', num: true, value: (r) => amount(r.totalCents, r.currency), class: 'hide-sm' },
      { label: 'Amount due', num: true, value: (r) => amount(r.amountDueCents, r.currency) },
    ],
    detail: invoiceDetail,
  },
  payments: {
    path: 'payments',
    title: 'Payments',
    singular: 'Payment',
    api: '/api/v1/payments',
    filters: [
      { name: 'customer', label: 'Customer id', text: true, size: 10, placeholder: 'CUST-001' },
      { name: 'status', label: 'Status', options: ['', 'completed', 'failed', 'refunded', 'partially_refunded'] },
    ],
    searchLabel: 'Search payment, customer, invoice or transaction on this page',
    searchText: (r) => [r.id, r.customerId, r.invoiceId, r.transactionId, r.method, ...(r.allocations || []).map((a) => a.invoiceId)].join(' '),
    columns: [
      { label: 'Payment', value: (r) => paymentLink(r.id) },
      { label: 'Date', value: (r) => dateTime(r.createdAt), class: 'nowrap' },
      { label: 'Customer', value: (r) => customerLink(r.customerId) },
      { label: 'Invoice', value: (r) => invoiceCell(r), class: 'hide-sm' },
      { label: 'Method', value: (r) => humanize(r.method), class: 'hide-sm' },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Amount', num: true, value: (r) => amount(r.amountCents, r.currency) },
      { label: 'Refunded', num: true, value: (r) => (r.refundedCents ? amount(r.refundedCents, r.currency) : '—'), class: 'hide-sm' },
    ],
    detail: paymentDetail,
  },
  subscriptions: {
    path: 'subscriptions',
    title: 'Subscriptions',
    singular: 'Subscription',
    api: '/api/v1/subscriptions',
    filters: [
      { name: 'customer', label: 'Customer id', text: true, size: 10, placeholder: 'CUST-001' },
      { name: 'status', label: 'Status', options: ['', 'active', 'past_due', 'canceled'] },
    ],
    searchLabel: 'Search subscription, customer or plan on this page',
    searchText: (r) => [r.id, r.customerId, r.plan && r.plan.name, r.plan && r.plan.id].join(' '),
    columns: [
      { label: 'Subscription', value: (r) => h('a', { href: `#/subscriptions/${enc(r.id)}` }, r.id) },
      { label: 'Customer', value: (r) => customerLink(r.customerId) },
      { label: 'Plan', value: (r) => (r.plan ? r.plan.name : '—') },
      { label: 'Qty', num: true, value: (r) => String(r.quantity ?? '—'), class: 'hide-sm' },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Per period', num: true, value: (r) => amount(r.amountPerPeriodCents, r.plan && r.plan.currency) },
      { label: 'Renews on', value: (r) => date(r.renewsOn || r.endsOn), class: 'hide-sm nowrap' },
    ],
    detail: subscriptionDetail,
  },
  'credit-notes': {
    path: 'credit-notes',
    title: 'Credit notes',
    singular: 'Credit note',
    api: '/api/v1/credit-notes',
    filters: [{ name: 'invoice', label: 'Invoice id', text: true, size: 12, placeholder: 'INV-2025-001' }],
    searchLabel: 'Search credit note, invoice, customer or reason on this page',
    searchText: (r) => [r.id, r.invoiceId, r.customerId, r.reason].join(' '),
    columns: [
      { label: 'Credit note', value: (r) => h('a', { href: `#/credit-notes/${enc(r.id)}` }, r.id) },
      { label: 'Invoice', value: (r) => invoiceLink(r.invoiceId) },
      { label: 'Customer', value: (r) => customerLink(r.customerId), class: 'hide-sm' },
      { label: 'Issued', value: (r) => dateTime(r.createdAt), class: 'hide-sm nowrap' },
      { label: 'Reason', value: (r) => r.reason || '—', class: 'hide-sm' },
      { label: 'Total', num: true, value: (r) => amount(r.totalCents, r.currency) },
      { label: 'Refunded', num: true, value: (r) => (r.refundedCents ? amount(r.refundedCents, r.currency) : '—') },
    ],
    detail: creditNoteDetail,
  },
};

function invoiceCell(p) {
  const ids = (p.allocations || []).map((a) => a.invoiceId);
  if (!ids.length && p.invoiceId) ids.push(p.invoiceId);
  if (!ids.length) return '—';
  if (ids.length === 1) return invoiceLink(ids[0]);
  return h('span', null, invoiceLink(ids[0]), ` +${ids.length - 1}`);
}

// ---------- lists ----------

const cursorTrail = new Map(); // filter signature -> cursors of the pages visited, in order

export async function listPage(ctx, res) {
  const { main, query, signal, hrefFor } = ctx;
  document.title = `${res.title} · Billing console`;
  const filters = {};
  for (const f of res.filters) filters[f.name] = query.get(f.name) || '';
  const after = query.get('after') || '';
  const q = query.get('q') || '';
  const signature = `${res.path}?${new URLSearchParams(filters)}`;

  const inputs = {};
  const filterControls = res.filters.map((f) => {
    const input = f.options
      ? select(f.name, f.options, filters[f.name])
      : h('input', { name: f.name, type: 'text', value: filters[f.name], size: f.size || 12, placeholder: f.placeholder || '', autocomplete: 'off', spellcheck: 'false' });
    inputs[f.name] = input;
    return control(f.label, input);
  });
  const search = h('input', { type: 'search', name: 'q', value: q, placeholder: 'Search this page', autocomplete: 'off', class: 'input-search' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': `Filter ${res.title.toLowerCase()}` },
    control('Search', search, null),
    filterControls,
    h('div', { class: 'filter-buttons' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'),
      h('a', { class: 'btn', href: `#/${res.path}` }, 'Reset')));
  search.setAttribute('aria-label', res.searchLabel);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = { q: search.value.trim() };
    for (const f of res.filters) next[f.name] = inputs[f.name].value.trim();
    if (next.currency) next.currency = next.currency.toUpperCase();
    location.hash = hrefFor(`/${res.path}`, next);
  });

  const results = h('div', { class: 'results' }, loading());
  const countLine = h('p', { class: 'muted result-count', role: 'status' });
  main.append(pageHeader(res.title), h('div', { class: 'card' }, form), countLine, results);

  let rows = [];
  const draw = () => {
    const term = search.value.trim().toLowerCase();
    const shown = term ? rows.filter((r) => res.searchText(r).toLowerCase().includes(term)) : rows;
    replace(countLine, term
      ? `${shown.length} of ${rows.length} on this page match “${search.value.trim()}”`
      : `${rows.length} ${rows.length === 1 ? 'row' : 'rows'} on this page`);
    return table(res.columns, shown, { caption: res.title, empty: term ? 'Nothing on this page matches the search.' : `No ${res.title.toLowerCase()} match these filters.` });
  };

  let list;
  try {
    list = await request(res.api, { query: { ...filters, limit: PAGE_SIZE, startingAfter: after || undefined }, signal });
  } catch (e) {
    if (isAbort(e)) return undefined;
    replace(results, errorBox(e));
    replace(countLine);
    return undefined;
  }
  rows = list.data || [];
  const tableSlot = h('div', null, draw());
  search.addEventListener('input', () => replace(tableSlot, draw()));

  // Paging: nextCursor forward; the trail of cursors visited with these filters backward.
  let trail = cursorTrail.get(signature) || [''];
  let at = trail.indexOf(after);
  if (at < 0) {
    trail = after ? ['', after] : [''];
    at = trail.length - 1;
  }
  trail = trail.slice(0, at + 1);
  cursorTrail.set(signature, trail);
  const base = { ...filters, q: search.value.trim() };
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    after && at !== 1 ? h('a', { class: 'btn', href: hrefFor(`/${res.path}`, base) }, 'First page') : null,
    at > 0 ? h('a', { class: 'btn', href: hrefFor(`/${res.path}`, { ...base, after: trail[at - 1] }), rel: 'prev' }, 'Previous page') : null,
    list.hasMore && list.nextCursor
      ? h('a', {
        class: 'btn',
        rel: 'next',
        href: hrefFor(`/${res.path}`, { ...base, after: list.nextCursor }),
        onclick: () => cursorTrail.set(signature, [...trail, list.nextCursor]),
      }, 'Next page')
      : null);
  replace(results, tableSlot, pager.childNodes.length ? pager : null);
  return undefined;
}

// ---------- details ----------

export async function detailPage(ctx, res, id) {
  const { main, signal } = ctx;
  document.title = `${id} · ${res.title} · Billing console`;
  const body = h('div', { class: 'detail' }, loading());
  main.append(body);
  const render = async () => {
    let record;
    let principal = null;
    try {
      [record, principal] = await Promise.all([
        request(`${res.api}/${enc(id)}`, { signal }),
        me().catch(() => null),
      ]);
    } catch (e) {
      if (isAbort(e)) return;
      replace(body, pageHeader(id, { crumbs: [[res.title, `#/${res.path}`], [id]] }), errorBox(e));
      return;
    }
    const view = res.detail(record, { principal, signal, reload: render, res });
    replace(body, view);
  };
  await render();
  return undefined;
}

// An action button: confirmation dialog, the call, a toast, and a reload of the page.
function actionButton(label, spec, reload) {
  const btn = h('button', { type: 'button', class: spec.danger ? 'btn btn-danger-outline' : 'btn', 'data-action': spec.action }, label);
  btn.addEventListener('click', safe(async () => {
    const result = await confirmAction({
      title: spec.title,
      body: spec.body,
      form: spec.form ? spec.form() : null,
      confirmLabel: spec.confirmLabel || label,
      danger: spec.danger,
      run: spec.run,
    });
    if (result) {
      toast(typeof spec.done === 'function' ? spec.done(result) : spec.done || `${label}: done`);
      await reload(result);
      const h1 = document.querySelector('main h1');
      if (h1) h1.focus();
    } else {
      btn.focus();
    }
  }));
  return btn;
}

function related(title, fetcher, build, signal) {
  const slot = h('div', null, loading());
  fetcher().then((data) => replace(slot, build(data))).catch((e) => {
    if (!isAbort(e)) replace(slot, errorBox(e));
  });
  void signal;
  return section(title, slot);
}

function amountRow(label, cents, cur, strong) {
  return h('tr', { class: strong ? 'total-row' : undefined }, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, amount(cents, cur)));
}

// --- customer ---
function customerDetail(c, { principal, signal, reload }) {
  const actions = [];
  if (can(principal, 'customers')) {
    if (c.status === 'active') {
      actions.push(actionButton('Suspend', {
        action: 'suspend',
        danger: true,
        title: `Suspend ${c.company}?`,
        body: 'A suspended customer gets no new invoices, subscriptions or renewals until reinstated.',
        run: () => request(`/api/v1/customers/${enc(c.id)}/suspend`, { method: 'POST', body: {} }),
        done: `${c.id} suspended`,
      }, reload));
    } else if (c.status === 'suspended') {
      actions.push(actionButton('Reinstate', {
        action: 'reinstate',
        title: `Reinstate ${c.company}?`,
        body: 'The customer can be invoiced and subscribed again.',
        run: () => request(`/api/v1/customers/${enc(c.id)}/reinstate`, { method: 'POST', body: {} }),
        done: `${c.id} reinstated`,
      }, reload));
    }
  }
  const cur = c.currency;
  return h('div', null,
    pageHeader(c.company || c.id, {
      crumbs: [['Customers', '#/customers'], [c.id]],
      subtitle: h('span', null, mono(c.id), ' ', statusBadge(c.status)),
      actions: headerActions(actions, c.status === 'active' || c.status === 'suspended' ? ['customers'] : [], principal),
    }),
    h('div', { class: 'grid-2' },
      section('Account', fields([
        ['Contact', c.contactName],
        ['Email', c.email ? h('a', { href: `mailto:${c.email}` }, c.email) : null],
        ['Billing cycle', humanize(c.billingCycle)],
        ['Payment method', humanize(c.paymentMethod)],
        ['Currency', cur],
        ['Payment terms', c.paymentTermsDays ? `${c.paymentTermsDays} days` : null],
        ['Tax rate', c.taxRate],
        ['Locale', c.locale],
        ['Customer since', date(c.createdAt)],
      ])),
      section('Balance', h('div', { class: 'figures' },
        figure('Outstanding', amount(c.outstandingBalanceCents, cur)),
        figure('Open invoices', String(c.openInvoiceCount ?? 0)),
        figure('Overdue invoices', String(c.overdueInvoiceCount ?? 0)),
        c.creditCents ? figure('Credit balance', amount(c.creditCents, cur)) : null),
      h('p', { class: 'links' }, link(`#/invoices?customer=${enc(c.id)}`, 'All invoices'), ' · ', link(`#/payments?customer=${enc(c.id)}`, 'All payments')))),
    section('Open invoices', table([
      { label: 'Invoice', value: (r) => invoiceLink(r.id) },
      { label: 'Due', value: (r) => date(r.dueDate) },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Days overdue', num: true, value: (r) => (r.daysOverdue ? String(r.daysOverdue) : '—') },
      { label: 'Total', num: true, value: (r) => amount(r.totalCents, cur) },
      { label: 'Amount due', num: true, value: (r) => amount(r.amountDueCents, cur) },
    ], c.openInvoices || [], { caption: 'Open invoices', empty: 'No open invoices.' }),
    c.openInvoiceCount > (c.openInvoicesShown || 0) ? h('p', { class: 'muted' }, `Showing ${c.openInvoicesShown} of ${c.openInvoiceCount}.`) : null),
    section('Recent payments', table([
      { label: 'Payment', value: (r) => paymentLink(r.id) },
      { label: 'Date', value: (r) => dateTime(r.createdAt) },
      { label: 'Method', value: (r) => humanize(r.method) },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Amount', num: true, value: (r) => amount(r.amountCents, r.currency || cur) },
    ], c.recentPayments || [], { caption: 'Recent payments', empty: 'No payments yet.' })),
    related('Subscriptions', () => request('/api/v1/subscriptions', { query: { customer: c.id, limit: 50 }, signal }), (l) => table([
      { label: 'Subscription', value: (r) => h('a', { href: `#/subscriptions/${enc(r.id)}` }, r.id) },
      { label: 'Plan', value: (r) => (r.plan ? r.plan.name : '—') },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Renews on', value: (r) => date(r.renewsOn || r.endsOn) },
      { label: 'Per period', num: true, value: (r) => amount(r.amountPerPeriodCents, r.plan && r.plan.currency) },
    ], l.data || [], { caption: 'Subscriptions', empty: 'No subscriptions.' }), signal),
    (c.cards && c.cards.length) ? section('Stored cards', table([
      { label: 'Card', value: (r) => r.paymentMethodId },
      { label: 'Brand', value: (r) => humanize(r.brand) },
      { label: 'Number', value: (r) => `•••• ${r.last4}` },
      { label: 'Expires', value: (r) => `${String(r.expMonth).padStart(2, '0')}/${r.expYear}` },
    ], c.cards, { caption: 'Stored cards' })) : null);
}

// What the header shows: the action buttons, or why there are none when the key's scopes hide them.
function headerActions(actions, neededScopes, principal) {
  if (actions.length) return actions;
  const missing = [...new Set(neededScopes)].filter((s) => !can(principal, s));
  if (!missing.length) return null;
  return [h('p', { class: 'readonly-note' }, `Read-only: actions here need the ${missing.map((s) => `“${s}”`).join(' or ')} scope.`)];
}

function figure(label, value, sub) {
  return h('div', { class: 'figure' }, h('div', { class: 'figure-label' }, label), h('div', { class: 'figure-value' }, value), sub ? h('div', { class: 'figure-sub' }, sub) : null);
}

// --- invoice ---
function invoiceDetail(inv, { principal, signal, reload }) {
  const cur = inv.currency;
  const open = inv.status === 'pending' || inv.status === 'overdue';
  const finalized = inv.status !== 'draft' && inv.status !== 'cancelled';
  const path = `/api/v1/invoices/${enc(inv.id)}`;
  const actions = [];
  if (inv.status === 'draft' && can(principal, 'invoice')) {
    actions.push(actionButton('Finalize', {
      action: 'finalize',
      title: `Finalize draft ${inv.id}?`,
      body: 'It gets its invoice number, issue date and tax, and the customer owes it.',
      run: () => request(`${path}/finalize`, { method: 'POST', body: {} }),
      done: (r) => `Finalized as ${r && r.id ? r.id : 'an invoice'}`,
    }, async (r) => {
      // The draft's id is gone once it is finalized: follow the new number.
      location.hash = r && r.id ? `#/invoices/${enc(r.id)}` : '#/invoices?status=draft';
    }));
  }
  if (open && can(principal, 'payment')) {
    actions.push(actionButton('Pay', {
      action: 'pay',
      title: `Charge ${amount(inv.amountDueCents, cur)} for ${inv.id}?`,
      body: `A payment of what the invoice still owes is taken from ${inv.customerName || inv.customerId} by its default payment method.`,
      run: () => request(`${path}/pay`, { method: 'POST', body: {} }),
      done: (p) => `Payment ${p && p.id ? p.id : ''} ${p && p.status ? p.status : 'made'}`,
    }, reload));
    actions.push(actionButton('Mark paid', {
      action: 'mark-paid',
      title: `Mark ${inv.id} as paid?`,
      body: `Records a payment received outside the system for ${amount(inv.amountDueCents, cur)}.`,
      form: () => control('Payment method', select('paymentMethod', [['', 'Customer’s default'], ...PAYMENT_METHODS.map((m) => [m, humanize(m)])], '')),
      run: (fd) => request(`${path}/mark-paid`, { method: 'POST', body: fd.get('paymentMethod') ? { paymentMethod: fd.get('paymentMethod') } : {} }),
      done: `${inv.id} marked as paid`,
    }, reload));
  }
  if (finalized && can(principal, 'invoice')) {
    actions.push(actionButton('Credit note', {
      action: 'credit-note',
      title: `Issue a credit note on ${inv.id}`,
      body: 'The amount credited includes tax. It reduces what the invoice owes, or is refunded or kept as customer credit once paid.',
      form: () => [
        control('Amount (tax included)', h('input', { name: 'amount', type: 'text', inputmode: 'decimal', required: true, placeholder: '50.00', autocomplete: 'off' }), `In ${cur}, e.g. 50.00`),
        control('Reason', h('input', { name: 'reason', type: 'text', maxlength: '2000', autocomplete: 'off' })),
        control('Money already paid goes', select('refundTo', [['', 'Server default'], ['credit', 'To customer credit'], ['refund', 'Back as a refund (needs the refund scope)']], '')),
      ],
      run: (fd) => {
        const b = { invoiceId: inv.id, amount: String(fd.get('amount') || '').trim() };
        if (fd.get('reason')) b.reason = String(fd.get('reason'));
        if (fd.get('refundTo')) b.refundTo = String(fd.get('refundTo'));
        return request('/api/v1/credit-notes', { method: 'POST', body: b });
      },
      confirmLabel: 'Issue credit note',
      done: (cn) => `Credit note ${cn && cn.id ? cn.id : ''} issued`,
    }, reload));
  }
  if ((open || inv.status === 'draft') && can(principal, 'invoice')) {
    actions.push(actionButton(inv.status === 'draft' ? 'Delete draft' : 'Cancel invoice', {
      action: 'cancel',
      danger: true,
      title: inv.status === 'draft' ? `Delete draft ${inv.id}?` : `Cancel ${inv.id}?`,
      body: inv.status === 'draft' ? 'The draft is deleted.' : 'The invoice is voided: the customer no longer owes it. This cannot be undone.',
      confirmLabel: inv.status === 'draft' ? 'Delete draft' : 'Cancel invoice',
      run: () => request(`${path}/cancel`, { method: 'POST', body: {} }),
      done: `${inv.id} ${inv.status === 'draft' ? 'deleted' : 'cancelled'}`,
    }, inv.status === 'draft' ? async () => { location.hash = '#/invoices?status=draft'; } : reload));
  }

  const items = (inv.items || []).map((it, i) => ({ ...it, n: i + 1 }));
  const totals = h('table', { class: 'totals' },
    h('caption', { class: 'sr-only' }, 'Totals'),
    h('tbody', null,
      amountRow('Subtotal', inv.subtotalCents, cur),
      inv.discountCents ? amountRow(`Discount${inv.couponCode ? ` (${inv.couponCode})` : ''}`, -inv.discountCents, cur) : null,
      amountRow(`Tax (${inv.taxRate || '—'})`, inv.taxCents, cur),
      amountRow('Total', inv.totalCents, cur, true),
      inv.paidCents ? amountRow('Paid', inv.paidCents, cur) : null,
      inv.creditedCents ? amountRow('Credited', inv.creditedCents, cur) : null,
      amountRow('Amount due', inv.amountDueCents, cur, true)));

  const byInvoice = (p) => p.invoiceId === inv.id || (p.allocations || []).some((a) => a.invoiceId === inv.id);
  return h('div', null,
    pageHeader(`Invoice ${inv.id}`, {
      crumbs: [['Invoices', '#/invoices'], [inv.id]],
      subtitle: h('span', null, customerLink(inv.customerId, inv.customerName || inv.customerId), ' · ', statusBadge(inv.status),
        inv.daysOverdue ? ` ${inv.daysOverdue} days overdue` : ''),
      actions: headerActions(actions, [...(open ? ['payment'] : []), ...(inv.status !== 'cancelled' ? ['invoice'] : [])], principal),
    }),
    h('div', { class: 'grid-2' },
      section('Details', fields([
        ['Customer', customerLink(inv.customerId, inv.customerName ? `${inv.customerName} (${inv.customerId})` : inv.customerId)],
        ['Issued', inv.issueDate ? date(inv.issueDate) : 'Not yet (draft)'],
        ['Due', date(inv.dueDate)],
        ['Paid on', inv.paidDate ? date(inv.paidDate) : null],
        ['Payment method', inv.paymentMethod ? humanize(inv.paymentMethod) : null],
        ['Coupon', inv.couponCode],
        ['Notes', inv.notes],
        ['Created by', inv.createdBy],
        ['Last changed by', inv.updatedBy],
      ])),
      section('Amounts', totals)),
    section('Line items', table([
      { label: '#', value: (r) => String(r.n), num: true },
      { label: 'Description', value: (r) => r.description },
      { label: 'Quantity', num: true, value: (r) => String(r.quantity) },
      { label: 'Unit price', num: true, value: (r) => amount(r.unitPriceCents, cur) },
      { label: 'Amount', num: true, value: (r) => amount(r.amountCents, cur) },
    ], items, { caption: 'Line items', empty: 'No line items.' })),
    related('Payments', () => request('/api/v1/payments', { query: { customer: inv.customerId, limit: 100 }, signal }), (l) => {
      const rows = (l.data || []).filter(byInvoice);
      return table([
        { label: 'Payment', value: (r) => paymentLink(r.id) },
        { label: 'Date', value: (r) => dateTime(r.createdAt) },
        { label: 'Method', value: (r) => humanize(r.method) },
        { label: 'Status', value: (r) => statusBadge(r.status) },
        { label: 'Applied to this invoice', num: true, value: (r) => {
          const a = (r.allocations || []).find((x) => x.invoiceId === inv.id);
          return a ? amount(a.amountCents, cur) : '—';
        } },
        { label: 'Payment amount', num: true, value: (r) => amount(r.amountCents, r.currency || cur) },
      ], rows, { caption: 'Payments', empty: 'No payments on this invoice.' });
    }, signal),
    inv.status === 'draft' ? null : related('Credit notes', () => request('/api/v1/credit-notes', { query: { invoice: inv.id, limit: 100 }, signal }), (l) => table([
      { label: 'Credit note', value: (r) => h('a', { href: `#/credit-notes/${enc(r.id)}` }, r.id) },
      { label: 'Issued', value: (r) => dateTime(r.createdAt) },
      { label: 'Reason', value: (r) => r.reason || '—' },
      { label: 'Total', num: true, value: (r) => amount(r.totalCents, cur) },
      { label: 'Refunded', num: true, value: (r) => (r.refundedCents ? amount(r.refundedCents, cur) : '—') },
    ], l.data || [], { caption: 'Credit notes', empty: 'No credit notes.' }), signal));
}

// --- payment ---
function paymentDetail(p, { principal, signal, reload }) {
  const cur = p.currency;
  const actions = [];
  const refundable = (p.status === 'completed' || p.status === 'partially_refunded') && p.amountCents > (p.refundedCents || 0);
  if (refundable && can(principal, 'refund')) {
    actions.push(actionButton('Refund', {
      action: 'refund',
      danger: true,
      title: `Refund payment ${p.id}?`,
      body: `Up to ${amount(p.amountCents - (p.refundedCents || 0), cur)} can be refunded. The invoices it paid are reopened for what is taken back.`,
      form: () => [
        control('Amount', h('input', { name: 'amount', type: 'text', inputmode: 'decimal', placeholder: 'All that remains', autocomplete: 'off' }), `In ${cur}; leave empty to refund all that remains`),
        control('Reason', h('input', { name: 'reason', type: 'text', maxlength: '2000', autocomplete: 'off' })),
      ],
      confirmLabel: 'Refund',
      run: (fd) => {
        const b = { paymentId: p.id };
        const a = String(fd.get('amount') || '').trim();
        if (a) b.amount = a;
        if (fd.get('reason')) b.reason = String(fd.get('reason'));
        return request('/api/v1/refunds', { method: 'POST', body: b });
      },
      done: (r) => `Refund ${r && r.id ? r.id : ''} made`,
    }, reload));
  }
  return h('div', null,
    pageHeader(`Payment ${p.id}`, {
      crumbs: [['Payments', '#/payments'], [p.id]],
      subtitle: h('span', null, customerLink(p.customerId), ' · ', statusBadge(p.status)),
      actions: headerActions(actions, refundable ? ['refund'] : [], principal),
    }),
    h('div', { class: 'grid-2' },
      section('Details', fields([
        ['Customer', customerLink(p.customerId)],
        ['Date', dateTime(p.createdAt)],
        ['Method', humanize(p.method)],
        ['Card', p.card ? `${humanize(p.card.brand)} •••• ${p.card.last4} (${p.card.paymentMethodId})` : null],
        ['Transaction', p.transactionId ? mono(p.transactionId) : null],
        ['Failure reason', p.failureReason],
        ['Created by', p.createdBy],
      ])),
      section('Amounts', h('table', { class: 'totals' }, h('caption', { class: 'sr-only' }, 'Amounts'), h('tbody', null,
        amountRow('Amount', p.amountCents, cur, true),
        amountRow('Refunded', p.refundedCents || 0, cur),
        amountRow('Kept', p.status === 'failed' ? 0 : p.amountCents - (p.refundedCents || 0), cur, true))))),
    section('Applied to invoices', table([
      { label: 'Invoice', value: (r) => invoiceLink(r.invoiceId) },
      { label: 'Amount', num: true, value: (r) => amount(r.amountCents, cur) },
    ], p.allocations || [], { caption: 'Applied to invoices', empty: p.status === 'failed' ? 'A failed payment pays nothing.' : 'Not applied to any invoice (kept as customer credit).' })),
    related('Refunds', () => request('/api/v1/refunds', { query: { payment: p.id, limit: 100 }, signal }), (l) => table([
      { label: 'Refund', value: (r) => mono(r.id) },
      { label: 'Date', value: (r) => dateTime(r.createdAt) },
      { label: 'Reason', value: (r) => r.reason || '—' },
      { label: 'Transaction', value: (r) => mono(r.transactionId || '—') },
      { label: 'Amount', num: true, value: (r) => amount(r.amountCents, r.currency || cur) },
    ], l.data || [], { caption: 'Refunds', empty: 'No refunds.' }), signal));
}

// --- subscription ---
function subscriptionDetail(sub, { principal, signal, reload }) {
  const cur = sub.plan ? sub.plan.currency : 'USD';
  const actions = [];
  if (sub.status !== 'canceled' && can(principal, 'subscriptions')) {
    actions.push(actionButton('Cancel subscription', {
      action: 'cancel',
      danger: true,
      title: `Cancel ${sub.id}?`,
      body: 'Choose whether it ends now or at the end of the current period (no renewal).',
      form: () => {
        const id = uid('atend');
        return h('div', { class: 'control control-check' },
          h('input', { type: 'checkbox', id, name: 'atPeriodEnd', value: 'true', checked: true }),
          h('label', { for: id }, `At the end of the current period${sub.currentPeriodEnd ? ` (${sub.currentPeriodEnd})` : ''}`));
      },
      confirmLabel: 'Cancel subscription',
      run: (fd) => request(`/api/v1/subscriptions/${enc(sub.id)}/cancel`, { method: 'POST', body: { atPeriodEnd: fd.get('atPeriodEnd') === 'true' } }),
      done: `${sub.id} cancelled`,
    }, reload));
  }
  const pc = sub.pendingChange;
  return h('div', null,
    pageHeader(`Subscription ${sub.id}`, {
      crumbs: [['Subscriptions', '#/subscriptions'], [sub.id]],
      subtitle: h('span', null, customerLink(sub.customerId), ' · ', statusBadge(sub.status), sub.cancelAtPeriodEnd ? ' · ends at period end' : ''),
      actions: headerActions(actions, sub.status !== 'canceled' ? ['subscriptions'] : [], principal),
    }),
    h('div', { class: 'grid-2' },
      section('Plan', fields([
        ['Plan', sub.plan ? `${sub.plan.name} (${sub.plan.id})` : null],
        ['Price', sub.plan ? sub.plan.priceText : null],
        ['Quantity', String(sub.quantity)],
        ['Per period', amount(sub.amountPerPeriodCents, cur)],
        ['Collection', humanize(sub.collection)],
        ['Payment terms', sub.paymentTermsDays ? `${sub.paymentTermsDays} days` : null],
        ['Pending change', pc ? `${pc.plan && pc.plan.name ? pc.plan.name : pc.plan} × ${pc.quantity} from ${pc.effectiveOn}` : null],
      ])),
      section('Periods', fields([
        ['Customer', customerLink(sub.customerId)],
        ['Started', date(sub.startDate)],
        ['Current period', sub.currentPeriodStart ? `${sub.currentPeriodStart} to ${sub.currentPeriodEnd}` : null],
        ['Renews on', sub.renewsOn ? date(sub.renewsOn) : null],
        ['Ends on', sub.endsOn ? date(sub.endsOn) : null],
        ['Canceled at', sub.canceledAt ? dateTime(sub.canceledAt) : null],
        ['Created', dateTime(sub.createdAt)],
      ]))),
    related('Invoices of this subscription', () => request('/api/v1/invoices', { query: { customer: sub.customerId, limit: 100 }, signal }), (l) => table([
      { label: 'Invoice', value: (r) => invoiceLink(r.id) },
      { label: 'Issued', value: (r) => date(r.issueDate) },
      { label: 'Due', value: (r) => date(r.dueDate) },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Total', num: true, value: (r) => amount(r.totalCents, r.currency) },
      { label: 'Amount due', num: true, value: (r) => amount(r.amountDueCents, r.currency) },
    ], (l.data || []).filter((r) => (r.notes || '').includes(sub.id) || (r.items || []).some((it) => (it.description || '').includes(sub.plan ? sub.plan.name : '\u0000'))),
    { caption: 'Invoices of this subscription', empty: 'No invoices found for it.' }), signal),
    h('p', null, link(`#/invoices?customer=${enc(sub.customerId)}`, 'All invoices of this customer')));
}

// --- credit note ---
function creditNoteDetail(cn) {
  const cur = cn.currency;
  return h('div', null,
    pageHeader(`Credit note ${cn.id}`, {
      crumbs: [['Credit notes', '#/credit-notes'], [cn.id]],
      subtitle: h('span', null, 'On ', invoiceLink(cn.invoiceId), ' · ', customerLink(cn.customerId)),
    }),
    h('div', { class: 'grid-2' },
      section('Details', fields([
        ['Invoice', invoiceLink(cn.invoiceId)],
        ['Customer', customerLink(cn.customerId)],
        ['Issued', dateTime(cn.createdAt)],
        ['Issued by', cn.createdBy],
        ['Reason', cn.reason],
        ['Refunds', cn.refundIds && cn.refundIds.length ? cn.refundIds.join(', ') : null],
      ])),
      section('Amounts', h('table', { class: 'totals' }, h('caption', { class: 'sr-only' }, 'Amounts'), h('tbody', null,
        amountRow('Subtotal', cn.subtotalCents, cur),
        amountRow('Tax', cn.taxCents, cur),
        amountRow('Total credited', cn.totalCents, cur, true),
        amountRow('Amount due reduced', cn.amountDueReducedCents, cur),
        amountRow('Refunded', cn.refundedCents, cur),
        amountRow('To customer credit', cn.creditBalanceCents, cur))))),
    cn.lines && cn.lines.length ? section('Lines credited', table([
      { label: 'Line', num: true, value: (r) => String(r.line) },
      { label: 'Description', value: (r) => r.description },
      { label: 'Quantity', num: true, value: (r) => String(r.quantity) },
      { label: 'Amount', num: true, value: (r) => amount(r.amountCents, cur) },
    ], cn.lines, { caption: 'Lines credited' })) : null,
    notice('Credit notes cannot be changed once issued.', 'info'));
}
