// Events (the outbox of every change) and webhook endpoints with their deliveries.
import { h, replace } from '../dom.js';
import { request, isAbort, me, can, missingScopes } from '../api.js';
import { pageHeader, errorBox, loading, table, section, fields, jsonView, statusBadge, control, confirmAction, toast, safe, scopeNotice } from '../ui.js';
import { dateTime } from '../format.js';

const EVENT_TYPES = [
  'invoice.created', 'invoice.finalized', 'invoice.updated', 'invoice.paid', 'invoice.cancelled', 'invoice.deleted', 'invoice.overdue',
  'payment.succeeded', 'payment.failed', 'payment.retry_scheduled', 'refund.created', 'credit_note.created', 'coupon.redeemed',
  'subscription.created', 'subscription.updated', 'subscription.renewed', 'subscription.canceled', 'subscription.past_due',
  'customer.created', 'customer.updated', 'customer.suspended', 'customer.reinstated',
  'dunning.reminder', 'dunning.warning', 'dunning.suspend', 'webhook_endpoint.disabled',
];
const enc = encodeURIComponent;
const mono = (t) => h('span', { class: 'mono' }, t);

function objectHref(type, id) {
  const paths = { invoice: 'invoices', payment: 'payments', subscription: 'subscriptions', credit_note: 'credit-notes', customer: 'customers' };
  if (!id || !paths[type] || String(id).startsWith('draft_')) return null;
  return `#/${paths[type]}/${enc(id)}`;
}

function objectCell(e) {
  const href = objectHref(e.objectType, e.objectId);
  const label = `${e.objectType || ''} ${e.objectId || ''}`.trim();
  return href ? h('a', { href }, label) : label || '—';
}

export async function eventsPage(ctx) {
  const { main, query, signal, hrefFor } = ctx;
  document.title = 'Events & webhooks · Billing console';
  const type = query.get('type') || '';
  const after = query.get('after') || '';
  const typeSel = h('select', { name: 'type', id: 'event-type' }, h('option', { value: '' }, 'All types'),
    EVENT_TYPES.map((t) => h('option', { value: t, selected: t === type }, t)));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter events' },
    control('Event type', typeSel),
    h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply'), h('a', { class: 'btn', href: '#/events' }, 'Reset')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = hrefFor('/events', { type: typeSel.value });
  });
  const endpointsSlot = h('div', null, loading('Loading endpoints…'));
  const eventsSlot = h('div', null, loading('Loading events…'));
  main.append(pageHeader('Events & webhooks', { subtitle: 'Every change appends events; webhook endpoints receive them.' }),
    section('Webhook endpoints', endpointsSlot),
    section('Events', h('p', { class: 'muted small section-note' }, 'Oldest first.'), form, eventsSlot));

  const [noHooks, noEvents] = await Promise.all([missingScopes('webhooks'), missingScopes('read', 'events')]);
  if (noHooks.length) replace(endpointsSlot, scopeNotice(noHooks, 'Managing webhooks'));
  else request('/api/v1/webhook-endpoints', { query: { limit: 100 }, signal }).then((l) => {
    replace(endpointsSlot, table([
      { label: 'Endpoint', value: (w) => h('a', { href: `#/webhooks/${enc(w.id)}` }, w.url) },
      { label: 'Description', value: (w) => w.description || '—', class: 'hide-sm' },
      { label: 'Events', value: (w) => (w.enabledEvents || []).join(', '), class: 'hide-sm' },
      { label: 'Status', value: (w) => statusBadge(w.status) },
      { label: 'Failing since', value: (w) => (w.failingSince ? dateTime(w.failingSince) : '—'), class: 'hide-sm' },
    ], l.data || [], { caption: 'Webhook endpoints', empty: 'No webhook endpoints. Create them with POST /api/v1/webhook-endpoints or “billing-agent webhooks create”.' }));
  }).catch((e) => {
    if (!isAbort(e)) replace(endpointsSlot, errorBox(e));
  });

  if (noEvents.length) {
    replace(eventsSlot, scopeNotice(noEvents, 'Reading the event stream'));
    return undefined;
  }
  try {
    const l = await request('/api/v1/events', { query: { type, limit: 25, startingAfter: after || undefined }, signal });
    replace(eventsSlot,
      table([
        { label: 'Event', value: (e) => h('a', { href: `#/events/${enc(e.id)}` }, e.id), class: 'mono-cell' },
        { label: 'Type', value: (e) => e.type },
        { label: 'Object', value: objectCell },
        { label: 'Created', value: (e) => dateTime(e.createdAt, true), class: 'nowrap' },
        { label: 'Request', value: (e) => (e.requestId ? h('span', { class: 'mono-nowrap' }, e.requestId) : '—'), class: 'hide-sm' },
      ], l.data || [], { caption: 'Events', empty: type ? `No ${type} events.` : 'No events yet.' }),
      h('nav', { class: 'pager', 'aria-label': 'Event pages' },
        after ? h('a', { class: 'btn', href: hrefFor('/events', { type }) }, 'First page') : null,
        l.hasMore && l.nextCursor ? h('a', { class: 'btn', rel: 'next', href: hrefFor('/events', { type, after: l.nextCursor }) }, 'Next page') : null));
  } catch (e) {
    if (!isAbort(e)) replace(eventsSlot, errorBox(e));
  }
  return undefined;
}

export async function eventPage(ctx, id) {
  const { main, signal } = ctx;
  document.title = `${id} · Events · Billing console`;
  const body = h('div', null, loading());
  main.append(pageHeader(`Event`, { crumbs: [['Events & webhooks', '#/events'], [id]], subtitle: mono(id) }), body);
  try {
    const e = await request(`/api/v1/events/${enc(id)}`, { signal });
    replace(body,
      section('Summary', fields([
        ['Type', e.type],
        ['Object', objectCell(e)],
        ['Created', dateTime(e.createdAt, true)],
        ['Request id', e.requestId ? mono(e.requestId) : null],
        ['Idempotency key', e.idempotencyKey ? mono(e.idempotencyKey) : null],
      ])),
      section('Event JSON', jsonView(e, 'Event JSON')));
  } catch (e) {
    if (!isAbort(e)) replace(body, errorBox(e));
  }
  return undefined;
}

export async function webhookEndpointPage(ctx, id) {
  const { main, query, signal, hrefFor } = ctx;
  document.title = `Webhook endpoint · Billing console`;
  const after = query.get('after') || '';
  const body = h('div', null, loading());
  main.append(pageHeader('Webhook endpoint', { crumbs: [['Events & webhooks', '#/events'], [id]], subtitle: mono(id) }), body);
  try {
    const [w, deliveries] = await Promise.all([
      request(`/api/v1/webhook-endpoints/${enc(id)}`, { signal }),
      request(`/api/v1/webhook-endpoints/${enc(id)}/deliveries`, { query: { limit: 25, startingAfter: after || undefined }, signal }),
    ]);
    replace(body,
      section('Endpoint', fields([
        ['URL', mono(w.url)],
        ['Description', w.description],
        ['Status', statusBadge(w.status)],
        ['Events', (w.enabledEvents || []).join(', ')],
        ['Failing since', w.failingSince ? dateTime(w.failingSince) : null],
        ['Previous secret valid until', w.previousSecretUntil ? dateTime(w.previousSecretUntil) : null],
        ['Created', dateTime(w.createdAt)],
        ['Updated', dateTime(w.updatedAt)],
      ])),
      section('Deliveries', h('p', { class: 'muted small section-note' }, 'Newest first.'),
        table([
          { label: 'Delivery', value: (d) => h('a', { href: `#/webhook-deliveries/${enc(d.id)}` }, d.id) },
          { label: 'Event', value: (d) => h('span', null, d.eventType, ' ', h('a', { href: `#/events/${enc(d.eventId)}`, class: 'muted hide-sm' }, d.eventId)) },
          { label: 'Status', value: (d) => statusBadge(d.status) },
          { label: 'Attempts', num: true, value: (d) => String(d.attempts) },
          { label: 'Last result', value: (d) => (d.lastStatus ? `HTTP ${d.lastStatus}` : d.lastError || '—'), class: 'hide-sm' },
          { label: 'Next attempt', value: (d) => (d.nextAttemptAt && d.status === 'pending' ? dateTime(d.nextAttemptAt) : '—'), class: 'hide-sm nowrap' },
          { label: 'Created', value: (d) => dateTime(d.createdAt), class: 'nowrap' },
        ], deliveries.data || [], { caption: 'Deliveries', empty: 'No deliveries yet.' }),
        h('nav', { class: 'pager', 'aria-label': 'Delivery pages' },
          after ? h('a', { class: 'btn', href: hrefFor(`/webhooks/${enc(id)}`, {}) }, 'First page') : null,
          deliveries.hasMore && deliveries.nextCursor ? h('a', { class: 'btn', rel: 'next', href: hrefFor(`/webhooks/${enc(id)}`, { after: deliveries.nextCursor }) }, 'Next page') : null)));
  } catch (e) {
    if (!isAbort(e)) replace(body, errorBox(e));
  }
  return undefined;
}

export async function webhookDeliveryPage(ctx, id) {
  const { main, signal } = ctx;
  document.title = `${id} · Webhook delivery · Billing console`;
  const body = h('div', null, loading());
  const header = h('div');
  main.append(header, body);
  const render = async () => {
    try {
      const [d, principal] = await Promise.all([
        request(`/api/v1/webhook-deliveries/${enc(id)}`, { signal }),
        me().catch(() => null),
      ]);
      const actions = [];
      if (can(principal, 'webhooks')) {
        const btn = h('button', { type: 'button', class: 'btn', 'data-action': 'resend' }, 'Resend');
        btn.addEventListener('click', safe(async () => {
          const ok = await confirmAction({
            title: `Resend ${d.id}?`,
            body: `The event ${d.eventId} is sent to the endpoint again now, with the same event id.`,
            confirmLabel: 'Resend',
            run: () => request(`/api/v1/webhook-deliveries/${enc(d.id)}/resend`, { method: 'POST', body: {} }),
          });
          if (ok) {
            toast(`${d.id} queued for sending`);
            await render();
          } else btn.focus();
        }));
        actions.push(btn);
      }
      replace(header, pageHeader(`Delivery ${d.id}`, {
        crumbs: [['Events & webhooks', '#/events'], [d.endpointId, `#/webhooks/${enc(d.endpointId)}`], [d.id]],
        subtitle: h('span', null, d.eventType, ' · ', statusBadge(d.status)),
        actions: actions.length ? actions : null,
      }));
      replace(body,
        section('Delivery', fields([
          ['Event', h('a', { href: `#/events/${enc(d.eventId)}` }, `${d.eventType} (${d.eventId})`)],
          ['Endpoint', h('a', { href: `#/webhooks/${enc(d.endpointId)}` }, d.endpointId)],
          ['Status', statusBadge(d.status)],
          ['Attempts', String(d.attempts)],
          ['Delivered', d.deliveredAt ? dateTime(d.deliveredAt, true) : null],
          ['Next attempt', d.nextAttemptAt && d.status === 'pending' ? dateTime(d.nextAttemptAt, true) : null],
          ['Created', dateTime(d.createdAt, true)],
        ])),
        section('Attempts', table([
          { label: '#', num: true, value: (a) => String(a.attempt) },
          { label: 'Time', value: (a) => dateTime(a.at, true), class: 'nowrap' },
          { label: 'HTTP status', num: true, value: (a) => (a.status ? String(a.status) : '—') },
          { label: 'Latency', num: true, value: (a) => (a.latencyMs !== undefined && a.latencyMs !== null ? `${a.latencyMs} ms` : '—') },
          { label: 'Error', value: (a) => a.error || '—' },
        ], d.attemptLog || [], { caption: 'Attempts', empty: 'Not attempted yet.' })));
    } catch (e) {
      if (!isAbort(e)) {
        replace(header, pageHeader(`Delivery ${id}`, { crumbs: [['Events & webhooks', '#/events'], [id]] }));
        replace(body, errorBox(e));
      }
    }
  };
  replace(header, pageHeader(`Delivery ${id}`, { crumbs: [['Events & webhooks', '#/events'], [id]] }));
  await render();
  return undefined;
}
