// Tools: the list from GET /api/tools, a form generated from the chosen tool's JSON Schema (or raw
// JSON), run with POST /api/tools/<id>/execute {"data": ...}, the result as JSON.
import { h, replace } from '../dom.js';
import { request, isAbort } from '../api.js';
import { pageHeader, errorBox, loading, jsonView, notice } from '../ui.js';
import { schemaForm } from '../schemaform.js';
import { json } from '../format.js';

function parseSchema(s) {
  if (!s) return {};
  let v = s;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' && v.json && typeof v.json === 'object' ? v.json : v;
}

export async function toolsPage(ctx, toolId) {
  const { main, signal } = ctx;
  document.title = `${toolId ? `${toolId} · ` : ''}Tools · Billing console`;
  const listSlot = h('div', null, loading('Loading tools…'));
  const detail = h('div', { class: 'tool-detail' });
  main.append(pageHeader('Tools', { subtitle: 'Run the agent’s tools directly, with your key’s scopes.' }),
    h('div', { class: 'split' },
      h('nav', { class: 'card tool-list', 'aria-labelledby': 'tools-list-title' }, h('h2', { class: 'card-title', id: 'tools-list-title' }, 'Tools'), listSlot),
      detail));

  let tools;
  try {
    const r = await request('/api/tools', { signal });
    tools = Object.entries(r || {}).map(([key, t]) => ({ key, ...t, id: t.id || key }));
  } catch (e) {
    if (!isAbort(e)) replace(listSlot, errorBox(e));
    return undefined;
  }
  tools.sort((a, b) => a.id.localeCompare(b.id));
  replace(listSlot, h('ul', { class: 'nav-list' }, tools.map((t) => h('li', null,
    h('a', { href: `#/tools/${encodeURIComponent(t.id)}`, 'aria-current': t.id === toolId ? 'page' : undefined },
      h('span', { class: 'tool-id' }, t.id), h('span', { class: 'tool-key muted' }, t.key))))));

  const tool = tools.find((t) => t.id === toolId);
  if (!tool) {
    replace(detail, h('div', { class: 'card' }, toolId
      ? errorBox(new Error(`No tool with id ${toolId}.`))
      : h('p', { class: 'muted' }, 'Choose a tool to see its input and run it.')));
    return undefined;
  }
  renderTool(detail, tool);
  return undefined;
}

function renderTool(detail, tool) {
  const schema = parseSchema(tool.inputSchema);
  const form = schemaForm(schema);
  const raw = h('textarea', { id: 'tool-raw', class: 'mono raw-json', rows: '14', spellcheck: 'false', 'aria-describedby': 'tool-raw-help' });
  const rawWrap = h('div', { class: 'control', hidden: true },
    h('label', { for: 'tool-raw' }, 'Input as JSON (the "data" object)'), raw,
    h('p', { class: 'help', id: 'tool-raw-help' }, 'Sent as {"data": <this>}.'));
  const modeBtn = h('button', { type: 'button', class: 'btn btn-small', 'aria-pressed': 'false' }, 'Raw JSON');
  const modeError = h('div');
  const result = h('div', { class: 'tool-result', 'aria-live': 'polite' });
  const runBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Run tool');
  const formEl = h('form', { class: 'tool-form', novalidate: false },
    h('div', { class: 'form-mode' }, modeBtn),
    modeError,
    h('div', { class: 'sf-root' }, form.el),
    rawWrap,
    h('div', { class: 'form-buttons' }, runBtn));
  const formRoot = formEl.querySelector('.sf-root');
  let rawMode = false;

  const setMode = (toRaw) => {
    replace(modeError);
    if (toRaw) {
      let v;
      try {
        v = form.get();
      } catch (e) {
        replace(modeError, errorBox(e, { title: 'Cannot switch' }));
        return;
      }
      raw.value = json(v || {});
    } else {
      let v;
      try {
        v = JSON.parse(raw.value || '{}');
      } catch (e) {
        replace(modeError, errorBox(new Error(`The JSON does not parse: ${e.message}`), { title: 'Cannot switch' }));
        return;
      }
      form.set(v);
    }
    rawMode = toRaw;
    formRoot.hidden = toRaw;
    for (const el of formRoot.querySelectorAll('input, select, textarea')) {
      if (toRaw) {
        el.dataset.wasDisabled = el.disabled ? '1' : '';
        el.disabled = true;
      } else {
        el.disabled = el.dataset.wasDisabled === '1';
      }
    }
    rawWrap.hidden = !toRaw;
    modeBtn.setAttribute('aria-pressed', toRaw ? 'true' : 'false');
    (toRaw ? raw : modeBtn).focus();
  };
  modeBtn.addEventListener('click', () => setMode(!rawMode));

  formEl.addEventListener('submit', async (e) => {
    e.preventDefault();
    let data;
    try {
      data = rawMode ? JSON.parse(raw.value || '{}') : form.get();
    } catch (err) {
      replace(result, errorBox(new Error(err.message), { title: 'Input not sent' }));
      return;
    }
    runBtn.disabled = true;
    replace(result, loading('Running…'));
    try {
      const r = await request(`/api/tools/${encodeURIComponent(tool.id)}/execute`, { method: 'POST', body: { data } });
      const refused = r && typeof r === 'object' && (r.error === true || r.success === false);
      replace(result, h('section', { class: `card result ${refused ? 'result-refused' : 'result-ok'}`, 'aria-labelledby': 'tool-result-title' },
        h('h2', { class: 'card-title', id: 'tool-result-title' }, refused ? 'Result: the tool refused' : 'Result'),
        refused && r.message ? notice(r.message, 'warn') : (r && r.message ? h('p', { class: 'result-message' }, r.message) : null),
        jsonView(r, 'Tool result')));
    } catch (err) {
      if (!isAbort(err)) replace(result, errorBox(err));
    } finally {
      runBtn.disabled = false;
    }
  });

  replace(detail,
    h('section', { class: 'card', 'aria-labelledby': 'tool-title' },
      h('h2', { class: 'card-title', id: 'tool-title' }, tool.id),
      h('p', { class: 'tool-description' }, tool.description || ''),
      formEl),
    result,
    h('details', { class: 'card schema-details' }, h('summary', null, 'Input JSON Schema'), jsonView(schema, 'Input JSON Schema')));
}
