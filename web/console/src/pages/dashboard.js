// Dashboard: the reports' figures per currency (never summed across currencies), the aging and
// revenue charts, top debtors; refreshed when new events arrive. Live refresh: the newest event
// (GET /api/events?order=newest&limit=1) is the cursor; each poll asks for what came after it.
import { h, replace } from '../dom.js';
import { request, isAbort, ApiError, missingScopes } from '../api.js';
import { pageHeader, errorBox, loading, table, section } from '../ui.js';
import { money, moneyCompact, monthShort, monthLong, dateTime } from '../format.js';
import { barChart } from '../charts.js';

const POLL_MS = 5000; // the browser test waits on this (test/browser.test.mjs)
const POLL_LIMIT = 100;
const OUTSTANDING = 'Outstanding on invoices';
const LIVE_ON = 'Live: refreshes when new events arrive.';
const LIVE_OFF = 'Live refresh is off: this key may not read the event stream (events scope).';

const AGING_BUCKETS = [
  ['current', 'Current', 'Current'],
  ['days1To30', '1–30 days', '1–30'],
  ['days31To60', '31–60 days', '31–60'],
  ['days61To90', '61–90 days', '61–90'],
  ['over90', 'Over 90 days', '90+'],
];

// The width a chart is shown at: half of the main column beside another card, or all of it.
function chartWidth(main) {
  const vw = window.innerWidth;
  const inner = main.clientWidth - (vw > 820 ? 56 : 28);
  return (vw > 1000 ? (inner - 16) / 2 : inner) - 38;
}

async function settle(p) {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    if (isAbort(e)) throw e;
    return { ok: false, error: e };
  }
}

function byCurrency(list, valueOf) {
  return list.map((x) => ({ currency: x.currency, text: valueOf(x) }));
}

function kpi(label, content, sub, note) {
  return h('div', { class: 'kpi card' },
    h('h2', { class: 'kpi-label' }, label),
    h('div', { class: 'kpi-body' }, content),
    sub ? h('p', { class: 'kpi-sub' }, sub) : null,
    note ? h('p', { class: 'kpi-note' }, note) : null);
}

function kpiList(items, empty) {
  if (!items.length) return h('p', { class: 'kpi-value kpi-empty' }, empty);
  if (items.length === 1) {
    return h('p', { class: 'kpi-value' }, items[0].text, h('span', { class: 'sr-only' }, ` (${items[0].currency})`));
  }
  return h('ul', { class: 'kpi-multi', 'aria-label': 'Per currency' },
    items.map((x) => h('li', null, h('span', { class: 'cur' }, x.currency), h('span', { class: 'amt' }, x.text))));
}

function kpiError(label, err) {
  return kpi(label, h('p', { class: 'kpi-error' }, err.status === 403 ? 'Not allowed for this key' : 'Unavailable'), err.message);
}

export async function dashboardPage(ctx) {
  const { main, signal } = ctx;
  document.title = 'Dashboard · Billing console';
  const status = h('span', { class: 'muted' }, '');
  const live = h('span', { class: 'live-note', role: 'status', 'aria-live': 'polite' });
  const refreshBtn = h('button', { type: 'button', class: 'btn' }, 'Refresh');
  const body = h('div', { class: 'dashboard' }, loading('Loading figures…'));
  main.append(pageHeader('Dashboard', { subtitle: h('span', null, status, ' ', live), actions: [refreshBtn] }), body);

  let loadingNow = false;
  let loadAgain = false; // asked for while a load runs: run once more after it
  const loadAll = async () => {
    if (loadingNow) {
      loadAgain = true;
      return;
    }
    loadingNow = true;
    refreshBtn.disabled = true;
    try {
      const [aging, revenue, mrr, success] = await Promise.all([
        settle(request('/api/v1/reports/aging', { signal })),
        settle(request('/api/v1/reports/revenue', { signal })),
        settle(request('/api/v1/reports/mrr', { signal })),
        settle(request('/api/v1/reports/payment-success', { signal })),
      ]);
      replace(body, render(aging, revenue, mrr, success, chartWidth(main)));
      replace(status, `Updated ${dateTime(new Date().toISOString(), true)}`);
    } catch (e) {
      if (!isAbort(e)) replace(body, errorBox(e));
    } finally {
      loadingNow = false;
      refreshBtn.disabled = false;
    }
    if (loadAgain && !signal.aborted) {
      loadAgain = false;
      await loadAll();
    }
  };
  refreshBtn.addEventListener('click', () => { loadAll(); });

  // ---- live refresh from the event log ----
  // At most two requests a poll: the events after the cursor (one page), and, when there are more
  // than a page of them, the newest event again to jump the cursor to it (the figures are reloaded
  // anyway). The log is never read from its start.
  let cursor = null; // id of the newest event seen; null: the log was empty
  let timer = null;
  let stopped = false;
  let started = false; // polling starts once the cursor and the figures are in
  let paused = false; // the last poll failed: the note says so until one succeeds
  const newest = async () => {
    const r = await request('/api/events', { query: { order: 'newest', limit: 1 }, signal });
    return { id: r.nextAfter || null };
  };
  const pause = (e) => {
    paused = true;
    replace(live, `Live refresh paused: ${e.message}`);
  };
  const poll = async () => {
    timer = null;
    if (stopped || signal.aborted) return;
    if (document.hidden) return; // resumed by visibilitychange
    try {
      let fresh = 0;
      let what = ''; // how the new events are described when their number is not known exactly
      if (cursor) {
        const r = await request('/api/events', { query: { after: cursor, limit: POLL_LIMIT }, signal });
        fresh = (r.events || []).length;
        if (r.nextAfter) cursor = r.nextAfter;
        if (r.hasMore && fresh > 0) {
          // More than a page of new events: jump to the newest (the figures are reloaded anyway).
          const n = await newest();
          if (n.id && n.id !== cursor) {
            cursor = n.id;
            what = `More than ${fresh} new events`;
          }
        }
      } else {
        // The log was empty: any newest event now is new.
        const n = await newest();
        if (n.id) {
          cursor = n.id;
          fresh = 1;
          what = 'New events';
        }
      }
      if (fresh > 0) {
        replace(live, `${what || `${fresh} new ${fresh === 1 ? 'event' : 'events'}`}: figures refreshed.`);
        await loadAll();
      } else if (paused) {
        replace(live, LIVE_ON);
      }
      paused = false;
    } catch (e) {
      if (isAbort(e)) return;
      if (e instanceof ApiError && e.status === 404) {
        // The cursor names no event any more (the database was replaced?): anchor again.
        cursor = null;
        try {
          cursor = (await newest()).id;
          await loadAll();
        } catch (e2) {
          if (isAbort(e2)) return;
          pause(e2);
        }
      } else if (e instanceof ApiError && (e.status === 403 || e.status === 401)) {
        replace(live, LIVE_OFF);
        stopped = true;
        return;
      } else {
        pause(e);
      }
    }
    if (!stopped && !signal.aborted && !document.hidden) timer = setTimeout(poll, POLL_MS);
  };
  const onVisibility = () => {
    if (!document.hidden && !timer && !stopped && started) poll();
    if (document.hidden && timer) {
      clearTimeout(timer);
      timer = null;
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  const cleanup = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
  };
  // The cursor first, then the figures: an event that commits in between costs one extra reload,
  // never a missed one.
  if ((await missingScopes('events')).length) {
    stopped = true;
    replace(live, LIVE_OFF);
  } else {
    try {
      cursor = (await newest()).id;
      replace(live, LIVE_ON);
    } catch (e) {
      if (isAbort(e)) return cleanup;
      if (e instanceof ApiError && (e.status === 403 || e.status === 401)) {
        stopped = true;
        replace(live, LIVE_OFF);
      } else {
        pause(e);
      }
    }
  }
  await loadAll();
  started = true;
  if (!stopped && !signal.aborted && !document.hidden) timer = setTimeout(poll, POLL_MS);
  return cleanup;
}

function render(aging, revenue, mrr, success, width) {
  const kpis = [];
  // Outstanding and overdue (aging totals per currency).
  if (aging.ok) {
    const totals = aging.value.totals || [];
    // The aging report counts invoices only: an opening balance carried from before the ledger
    // (owed, on no invoice) is not in it; the customers pages show it.
    const open = totals.reduce((n, t) => n + (t.invoices || 0), 0);
    kpis.push(kpi(OUTSTANDING, kpiList(byCurrency(totals, (t) => money(t.totalCents, t.currency)), 'Nothing outstanding'),
      `${open} open ${open === 1 ? 'invoice' : 'invoices'} as of ${aging.value.asOf}`,
      ['Opening balances not on an invoice are in ', h('a', { href: '#/customers' }, 'Customers'), '.']));
    const overdue = totals.filter((t) => t.overdueCents);
    kpis.push(kpi('Overdue', kpiList(byCurrency(overdue, (t) => money(t.overdueCents, t.currency)), 'Nothing overdue'), 'Past due date, not paid'));
  } else {
    kpis.push(kpiError(OUTSTANDING, aging.error), kpiError('Overdue', aging.error));
  }
  // Collected this month (revenue rows of the report's last month).
  if (revenue.ok) {
    const month = revenue.value.to;
    const rows = (revenue.value.rows || []).filter((r) => r.month === month && r.collectedCents);
    kpis.push(kpi('Collected this month', kpiList(byCurrency(rows, (r) => money(r.collectedCents, r.currency)), 'Nothing yet'), monthLong(month)));
  } else {
    kpis.push(kpiError('Collected this month', revenue.error));
  }
  if (mrr.ok) {
    const totals = (mrr.value.totals || []).filter((t) => t.mrrCents);
    kpis.push(kpi('MRR', kpiList(byCurrency(totals, (t) => money(t.mrrCents, t.currency)), 'No subscriptions'),
      totals.length ? `ARR ${totals.map((t) => money(t.arrCents, t.currency)).join(' · ')}` : 'Monthly recurring revenue'));
  } else {
    kpis.push(kpiError('MRR', mrr.error));
  }
  if (success.ok) {
    const o = success.value.overall || {};
    kpis.push(kpi('Payment success', h('p', { class: 'kpi-value' }, o.attempts ? o.successRate : 'No attempts'),
      o.attempts ? `${o.succeeded} of ${o.attempts} attempts, ${monthShort(success.value.from)}–${monthShort(success.value.to)}` : `${monthShort(success.value.from)}–${monthShort(success.value.to)}`));
  } else {
    kpis.push(kpiError('Payment success', success.error));
  }

  const charts = [];
  if (aging.ok) {
    const totals = aging.value.totals || [];
    const content = totals.length
      ? totals.map((t) => barChart({
        title: `Receivables by age, ${t.currency}`,
        caption: totals.length > 1 ? `${t.currency} · ${money(t.totalCents, t.currency)} outstanding` : null,
        description: `Open receivables in ${t.currency} by days past due: ${AGING_BUCKETS.map(([k, l]) => `${l} ${money(t[`${k}Cents`], t.currency)}`).join('; ')}.`,
        categories: AGING_BUCKETS.map(([, l]) => l),
        shortLabels: AGING_BUCKETS.map(([, , s]) => s),
        xTitle: 'Days past due',
        width,
        categoryHeader: 'Age',
        series: [{ name: `Outstanding (${t.currency})`, values: AGING_BUCKETS.map(([k]) => t[`${k}Cents`] || 0), cls: 'bar-aging' }],
        axisFormat: (v) => moneyCompact(v, t.currency),
        valueFormat: (v) => money(v, t.currency),
      }))
      : h('p', { class: 'empty' }, 'No open receivables.');
    charts.push(section('Aging', content));
  } else {
    charts.push(section('Aging', errorBox(aging.error)));
  }
  if (revenue.ok) {
    const rows = revenue.value.rows || [];
    const currencies = [...new Set(rows.map((r) => r.currency))];
    const content = currencies.length
      ? currencies.map((cur) => {
        const rs = rows.filter((r) => r.currency === cur);
        return barChart({
          title: `Revenue per month, ${cur}`,
          caption: currencies.length > 1 ? cur : null,
          description: `Invoiced and collected per month in ${cur}, ${monthLong(revenue.value.from)} to ${monthLong(revenue.value.to)}.`,
          categories: rs.map((r) => monthShort(r.month)),
          width,
          categoryHeader: 'Month',
          series: [
            { name: 'Invoiced', values: rs.map((r) => r.invoicedCents || 0), cls: 'bar-invoiced' },
            { name: 'Collected', values: rs.map((r) => r.collectedCents || 0), cls: 'bar-collected' },
          ],
          axisFormat: (v) => moneyCompact(v, cur),
          valueFormat: (v) => money(v, cur),
        });
      })
      : h('p', { class: 'empty' }, 'No revenue in the last 12 months.');
    charts.push(section('Revenue', content));
  } else {
    charts.push(section('Revenue', errorBox(revenue.error)));
  }

  let debtors;
  if (aging.ok) {
    const rows = [...(aging.value.rows || [])].sort((a, b) => (a.currency === b.currency ? b.totalCents - a.totalCents : a.currency < b.currency ? -1 : 1));
    const top = [];
    const perCur = new Map();
    for (const r of rows) {
      const n = perCur.get(r.currency) || 0;
      if (n < 5) top.push(r);
      perCur.set(r.currency, n + 1);
    }
    debtors = section('Top debtors', h('p', { class: 'section-note muted small' }, 'Open invoices only, as in the aging report; opening balances are on the customers pages.'), table([
      { label: 'Customer', value: (r) => h('a', { href: `#/customers/${encodeURIComponent(r.customerId)}` }, r.company || r.customerId) },
      { label: 'Currency', value: (r) => r.currency, class: 'hide-sm' },
      { label: 'Invoices', num: true, value: (r) => String(r.invoices), class: 'hide-sm' },
      { label: 'Overdue', num: true, value: (r) => money(r.overdueCents, r.currency) },
      { label: 'Over 90 days', num: true, value: (r) => money(r.over90Cents, r.currency), class: 'hide-sm' },
      { label: 'Outstanding', num: true, value: (r) => money(r.totalCents, r.currency) },
    ], top, { caption: 'Top debtors (largest outstanding first, per currency)', empty: 'No customer owes anything.' }));
  } else {
    debtors = section('Top debtors', errorBox(aging.error));
  }

  return h('div', null,
    h('div', { class: 'kpis' }, kpis),
    h('div', { class: 'grid-2 charts' }, charts),
    debtors);
}
