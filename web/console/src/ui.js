// Shared pieces of the pages: headings, tables, errors, JSON, dialogs, toasts.
import { h, replace, uid } from './dom.js';
import { ApiError, isAbort } from './api.js';
import { humanize, json } from './format.js';

export function pageHeader(title, opts = {}) {
  const { crumbs, actions, subtitle } = opts;
  return h('header', { class: 'page-header' },
    crumbs ? h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('ol', null, crumbs.map(([label, href]) => h('li', null, href ? h('a', { href }, label) : h('span', { 'aria-current': 'page' }, label))))) : null,
    h('div', { class: 'page-title-row' },
      h('div', null,
        h('h1', { tabindex: '-1', class: 'page-title' }, title),
        subtitle ? h('p', { class: 'muted page-subtitle' }, subtitle) : null),
      actions ? h('div', { class: 'page-actions' }, actions) : null));
}

export function errorBox(err, opts = {}) {
  const message = err instanceof Error ? err.message : String(err);
  const status = err instanceof ApiError && err.status ? err.status : null;
  let hint = null;
  if (status === 403) hint = 'Your API key lacks the scope this needs. Ask an administrator for a key with it.';
  return h('div', { class: 'alert alert-error', role: 'alert' },
    h('strong', null, opts.title || (status ? `Refused (${status})` : 'Something went wrong')),
    h('p', null, message),
    hint ? h('p', { class: 'alert-hint' }, hint) : null);
}

export function scopeNotice(missing, what) {
  return h('div', { class: 'alert alert-info', role: 'status' },
    h('strong', null, 'Not available with this key'),
    h('p', null, `${what} needs the ${missing.map((s) => `“${s}”`).join(' and ')} scope${missing.length > 1 ? 's' : ''}. Ask an administrator for a key with ${missing.length > 1 ? 'them' : 'it'}.`));
}

export function notice(text, kind = 'info') {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

// Shows `loading`, then the result of build(data) or an error box. Abort errors are silent.
export async function load(container, fetcher, build) {
  replace(container, loading());
  try {
    const data = await fetcher();
    replace(container, build(data));
  } catch (e) {
    if (isAbort(e)) return;
    replace(container, errorBox(e));
  }
}

const STATUS_KIND = {
  paid: 'ok', completed: 'ok', active: 'ok', delivered: 'ok', enabled: 'ok', succeeded: 'ok', ok: 'ok',
  pending: 'info', draft: 'neutral', scheduled: 'info', trialing: 'info',
  overdue: 'warn', past_due: 'warn', partially_refunded: 'warn', suspended: 'warn', refunded: 'neutral',
  failed: 'bad', cancelled: 'neutral', canceled: 'neutral', disabled: 'bad', error: 'bad',
};

export function statusBadge(status) {
  if (!status) return h('span', { class: 'muted' }, '—');
  const kind = STATUS_KIND[status] || 'neutral';
  return h('span', { class: `badge badge-${kind}` }, humanize(status));
}

// columns: [{label, value: row => node|string, num?: bool, class?}]
export function table(columns, rows, opts = {}) {
  const { caption, empty = 'Nothing to show.', rowClass } = opts;
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap', tabindex: opts.scrollable === false ? undefined : '0', role: 'region', 'aria-label': `${caption || 'Data'} (table)` },
    h('table', { class: 'data' },
      caption ? h('caption', { class: opts.captionVisible ? 'caption' : 'sr-only' }, caption) : null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: [c.num ? 'num' : '', c.class] }, c.label)))),
      h('tbody', null, rows.map((r) => h('tr', { class: rowClass ? rowClass(r) : undefined },
        columns.map((c, i) => {
          const v = c.value(r);
          const cls = [c.num ? 'num' : '', c.class];
          return i === 0 && opts.rowHeader !== false ? h('th', { scope: 'row', class: cls }, v) : h('td', { class: cls }, v);
        }))))));
}

// Definition list of [label, value] pairs.
export function fields(pairs) {
  return h('dl', { class: 'fields' }, pairs.filter(Boolean).filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) =>
    h('div', { class: 'field' }, h('dt', null, k), h('dd', null, v))));
}

export function jsonView(value, label) {
  return h('pre', { class: 'json', tabindex: '0', 'aria-label': label || 'JSON' }, json(value));
}

export function section(title, ...children) {
  const id = uid('sec');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, class: 'card-title' }, title), children);
}

export function link(href, text) {
  return h('a', { href }, text);
}

// ---- toasts (one polite live region) ----
let toastRegion = null;
export function toast(text, kind = 'ok') {
  if (!toastRegion) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(toastRegion);
  }
  const t = h('div', { class: `toast toast-${kind}` }, text);
  toastRegion.appendChild(t);
  setTimeout(() => t.remove(), 6000);
}

// ---- confirmation dialog ----
// confirmAction({title, body, confirmLabel, danger, form: [nodes], run: async (formData) => result})
// Opens a modal <dialog>; runs `run` on confirm; shows the server's refusal inside the dialog.
// Resolves with run's result, or null when cancelled.
export function confirmAction(opts) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const errorSlot = h('div', { class: 'dialog-error' });
    const confirmBtn = h('button', { type: 'submit', class: opts.danger ? 'btn btn-danger' : 'btn btn-primary' }, opts.confirmLabel || 'Confirm');
    const cancelBtn = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h('form', { method: 'dialog', class: 'dialog-form' },
      h('h2', { id: titleId, class: 'dialog-title' }, opts.title),
      opts.body ? h('p', null, opts.body) : null,
      opts.form || null,
      errorSlot,
      h('div', { class: 'dialog-buttons' }, cancelBtn, confirmBtn));
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    cancelBtn.addEventListener('click', () => finish(null));
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      if (!confirmBtn.disabled) finish(null);
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      replace(errorSlot);
      confirmBtn.disabled = true;
      cancelBtn.disabled = true;
      confirmBtn.textContent = 'Working…';
      try {
        const result = await opts.run(new FormData(form));
        finish(result === undefined ? true : result);
      } catch (err) {
        replace(errorSlot, errorBox(err));
        confirmBtn.disabled = false;
        cancelBtn.disabled = false;
        confirmBtn.textContent = opts.confirmLabel || 'Confirm';
        confirmBtn.focus();
      }
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    const first = form.querySelector('input, select, textarea');
    (first || confirmBtn).focus();
  });
}

// A labelled form control for dialogs and filters.
export function control(label, input, help) {
  const id = input.id || uid('f');
  input.id = id;
  let helpEl = null;
  if (help) {
    const hid = `${id}-help`;
    helpEl = h('p', { class: 'help', id: hid }, help);
    input.setAttribute('aria-describedby', hid);
  }
  return h('div', { class: 'control' }, h('label', { for: id }, label), input, helpEl);
}

export function select(name, options, value, props = {}) {
  return h('select', { name, ...props }, options.map((o) => {
    const [v, l] = Array.isArray(o) ? o : [o, o === '' ? 'Any' : humanize(o)];
    return h('option', { value: v, selected: v === value }, l);
  }));
}

// Wraps an async event handler: errors go to a toast, never to an unhandled rejection.
export function safe(fn) {
  return (...args) => {
    Promise.resolve()
      .then(() => fn(...args))
      .catch((e) => {
        if (!isAbort(e)) toast(e instanceof Error ? e.message : String(e), 'error');
      });
  };
}
