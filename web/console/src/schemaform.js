// A form generated from a JSON Schema (draft-07 subset the tools use): strings (enum -> select),
// integers and numbers, booleans (tri-state when optional), arrays of scalars or objects, nested
// and optional objects, required marks, descriptions as help text, defaults, type lists and
// anyOf/oneOf of simple types. Each field is {el, get(), set(value)}; get() returns undefined for
// "absent" so that optional fields are left out of the input.
import { h, uid } from './dom.js';

const SCALARS = ['string', 'number', 'integer', 'boolean'];

function typesOf(schema) {
  if (!schema || typeof schema !== 'object') return [];
  if (Array.isArray(schema.type)) return schema.type.filter((t) => t !== 'null');
  if (typeof schema.type === 'string') return schema.type === 'null' ? [] : [schema.type];
  if (schema.properties) return ['object'];
  if (schema.items) return ['array'];
  if (Array.isArray(schema.enum)) return ['string'];
  return [];
}

// anyOf/oneOf: the first option that can be rendered; several simple types become a union.
function resolve(schema) {
  const opts = schema && (schema.anyOf || schema.oneOf);
  if (!Array.isArray(opts) || !opts.length) return schema;
  const usable = opts.filter((o) => typesOf(o).length);
  const allSimple = usable.length > 1 && usable.every((o) => typesOf(o).every((t) => SCALARS.includes(t)) && !o.enum);
  const base = { ...schema };
  delete base.anyOf;
  delete base.oneOf;
  if (allSimple) return { ...base, type: [...new Set(usable.flatMap(typesOf))] };
  const first = usable[0] || opts[0];
  return { ...base, ...first, description: schema.description || first.description };
}

function labelEl(id, name, required) {
  return h('label', { for: id }, name, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null, required ? h('span', { class: 'sr-only' }, ' (required)') : null);
}

function help(id, schema, extra) {
  const bits = [];
  if (schema.description) bits.push(schema.description);
  if (extra) bits.push(extra);
  if (!bits.length) return null;
  return h('p', { class: 'help', id: `${id}-help` }, bits.join(' '));
}

function wrap(id, name, required, input, schema, extra) {
  const hp = help(id, schema, extra);
  if (hp) input.setAttribute('aria-describedby', hp.id);
  return h('div', { class: 'control' }, labelEl(id, name, required), input, hp);
}

function constraintText(schema) {
  const c = [];
  if (schema.minimum !== undefined) c.push(`min ${schema.minimum}`);
  if (schema.maximum !== undefined) c.push(`max ${schema.maximum}`);
  if (schema.maxLength !== undefined) c.push(`up to ${schema.maxLength} characters`);
  return c.length ? `(${c.join(', ')})` : '';
}

export function buildField(rawSchema, opts) {
  const schema = resolve(rawSchema || {});
  const { name, required } = opts;
  const types = typesOf(schema);
  const id = uid('sf');

  // enum -> select
  if (Array.isArray(schema.enum)) {
    const sel = h('select', { id, name, required: required || undefined },
      required && schema.default === undefined ? h('option', { value: '' }, 'Choose…') : null,
      !required ? h('option', { value: '' }, '(not set)') : null,
      schema.enum.map((v, i) => h('option', { value: String(i) }, String(v))));
    const set = (v) => {
      const i = schema.enum.findIndex((x) => x === v);
      sel.value = i >= 0 ? String(i) : '';
    };
    if (schema.default !== undefined) set(schema.default);
    return {
      el: wrap(id, name, required, sel, schema),
      get: () => (sel.value === '' ? undefined : schema.enum[Number(sel.value)]),
      set,
    };
  }

  if (types.length === 1 && types[0] === 'boolean') {
    if (required) {
      const cb = h('input', { id, name, type: 'checkbox', checked: schema.default === true });
      const hp = help(id, schema);
      if (hp) cb.setAttribute('aria-describedby', hp.id);
      return {
        el: h('div', { class: 'control control-check' }, cb, labelEl(id, name, false), hp),
        get: () => cb.checked,
        set: (v) => { cb.checked = v === true; },
      };
    }
    const sel = h('select', { id, name },
      h('option', { value: '' }, '(not set)'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
    const set = (v) => { sel.value = v === true ? 'true' : v === false ? 'false' : ''; };
    if (schema.default !== undefined) set(schema.default);
    return {
      el: wrap(id, name, false, sel, schema),
      get: () => (sel.value === '' ? undefined : sel.value === 'true'),
      set,
    };
  }

  if (types.length === 1 && (types[0] === 'integer' || types[0] === 'number')) {
    const inp = h('input', {
      id, name, type: 'number', inputmode: types[0] === 'integer' ? 'numeric' : 'decimal',
      step: types[0] === 'integer' ? '1' : 'any', min: schema.minimum, max: schema.maximum, required: required || undefined,
      value: schema.default !== undefined ? String(schema.default) : undefined,
    });
    return {
      el: wrap(id, name, required, inp, schema, constraintText(schema)),
      get: () => (inp.value.trim() === '' ? undefined : Number(inp.value)),
      set: (v) => { inp.value = v === undefined || v === null ? '' : String(v); },
    };
  }

  if (types.length === 1 && types[0] === 'string') {
    const long = (schema.maxLength || 0) > 500;
    const inp = long
      ? h('textarea', { id, name, rows: '3', maxlength: schema.maxLength, required: required || undefined })
      : h('input', {
        id, name, type: 'text', maxlength: schema.maxLength, minlength: schema.minLength, required: required || undefined,
        autocomplete: 'off', spellcheck: 'false',
        placeholder: /YYYY-MM-DD/.test(schema.description || '') ? 'YYYY-MM-DD' : /YYYY-MM\b/.test(schema.description || '') ? 'YYYY-MM' : undefined,
      });
    if (schema.default !== undefined) inp.value = String(schema.default);
    return {
      el: wrap(id, name, required, inp, schema),
      get: () => (inp.value === '' ? undefined : inp.value),
      set: (v) => { inp.value = v === undefined || v === null ? '' : String(v); },
    };
  }

  // Several simple types (["number","string"], anyOf of scalars): one text box; a string is sent
  // when strings are allowed (exact), else a number or boolean when the text reads as one.
  if (types.length > 1 && types.every((t) => SCALARS.includes(t))) {
    const inp = h('input', { id, name, type: 'text', autocomplete: 'off', spellcheck: 'false', required: required || undefined });
    if (schema.default !== undefined) inp.value = String(schema.default);
    const get = () => {
      const t = inp.value.trim();
      if (t === '') return undefined;
      if (types.includes('string')) return inp.value;
      if ((types.includes('number') || types.includes('integer')) && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return Number(t);
      if (types.includes('boolean') && (t === 'true' || t === 'false')) return t === 'true';
      return inp.value;
    };
    return {
      el: wrap(id, name, required, inp, schema, `(${types.join(' or ')})`),
      get,
      set: (v) => { inp.value = v === undefined || v === null ? '' : String(v); },
    };
  }

  if (types[0] === 'object') return objectField(schema, { name, required, id, nested: opts.nested !== false });
  if (types[0] === 'array') return arrayField(schema, { name, required, id });

  // Anything else: JSON text.
  const ta = h('textarea', { id, name, rows: '3', class: 'mono', spellcheck: 'false' });
  if (schema.default !== undefined) ta.value = JSON.stringify(schema.default);
  return {
    el: wrap(id, name, required, ta, schema, '(JSON)'),
    get: () => {
      if (!ta.value.trim()) return undefined;
      try {
        return JSON.parse(ta.value);
      } catch {
        throw new Error(`${name}: not valid JSON`);
      }
    },
    set: (v) => { ta.value = v === undefined ? '' : JSON.stringify(v); },
  };
}

function objectField(schema, { name, required, id, nested }) {
  const props = schema.properties || {};
  const req = new Set(schema.required || []);
  // Required fields first, then the others in the schema's order.
  const entries = Object.entries(props);
  const ordered = [...entries.filter(([k]) => req.has(k)), ...entries.filter(([k]) => !req.has(k))];
  const children = ordered.map(([k, sub]) => [k, buildField(sub, { name: k, required: req.has(k) })]);
  const body = h('div', { class: 'sf-object-body' }, children.map(([, f]) => f.el));
  const get = () => {
    const out = {};
    for (const [k, f] of children) {
      const v = f.get();
      if (v !== undefined) out[k] = v;
    }
    return out;
  };
  const setAll = (v) => {
    for (const [k, f] of children) f.set(v && typeof v === 'object' ? v[k] : undefined);
  };
  if (!nested) {
    return { el: body, get, set: setAll };
  }
  const legendId = `${id}-legend`;
  if (required) {
    const fs = h('fieldset', { class: 'sf-object', 'aria-labelledby': legendId },
      h('legend', { id: legendId }, name, h('span', { class: 'req', 'aria-hidden': 'true' }, ' *'), h('span', { class: 'sr-only' }, ' (required)')),
      schema.description ? h('p', { class: 'help' }, schema.description) : null,
      body);
    return { el: fs, get, set: setAll };
  }
  // Optional object: a toggle to include it.
  const toggleId = `${id}-include`;
  const toggle = h('input', { type: 'checkbox', id: toggleId, checked: schema.default !== undefined });
  const fs = h('fieldset', { class: 'sf-object', 'aria-labelledby': legendId },
    h('legend', { id: legendId }, name),
    schema.description ? h('p', { class: 'help' }, schema.description) : null,
    h('div', { class: 'control control-check' }, toggle, h('label', { for: toggleId }, `Include ${name}`)),
    body);
  const sync = () => {
    body.hidden = !toggle.checked;
    for (const el of body.querySelectorAll('input, select, textarea, button')) el.disabled = !toggle.checked;
  };
  toggle.addEventListener('change', sync);
  if (schema.default !== undefined) setAll(schema.default);
  sync();
  return {
    el: fs,
    get: () => (toggle.checked ? get() : undefined),
    set: (v) => {
      toggle.checked = v !== undefined && v !== null;
      setAll(v);
      sync();
    },
  };
}

function arrayField(schema, { name, required, id }) {
  const itemSchema = resolve(schema.items || {});
  const itemTypes = typesOf(itemSchema);
  const isObject = itemTypes[0] === 'object';
  const list = h('ol', { class: 'sf-array-items' });
  const items = [];
  const legendId = `${id}-legend`;
  const addBtn = h('button', { type: 'button', class: 'btn btn-small' }, `Add ${isObject ? 'item' : 'value'} to ${name}`);
  const renumber = () => {
    items.forEach((it, i) => {
      it.removeBtn.setAttribute('aria-label', `Remove ${name} item ${i + 1}`);
    });
    addBtn.disabled = schema.maxItems !== undefined && items.length >= schema.maxItems;
  };
  const add = (value) => {
    const field = buildField(itemSchema, { name: isObject ? `${name} item` : `${name} value`, required: true, nested: false });
    const removeBtn = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline' }, 'Remove');
    const li = h('li', { class: 'sf-array-item' }, h('div', { class: 'sf-array-field' }, field.el), removeBtn);
    const entry = { li, field, removeBtn };
    removeBtn.addEventListener('click', () => {
      items.splice(items.indexOf(entry), 1);
      li.remove();
      renumber();
      addBtn.focus();
    });
    items.push(entry);
    list.appendChild(li);
    if (value !== undefined) field.set(value);
    renumber();
    return entry;
  };
  addBtn.addEventListener('click', () => {
    const e = add();
    const first = e.li.querySelector('input, select, textarea');
    if (first) first.focus();
  });
  const fs = h('fieldset', { class: 'sf-array', 'aria-labelledby': legendId },
    h('legend', { id: legendId }, name, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null, required ? h('span', { class: 'sr-only' }, ' (required)') : null),
    schema.description ? h('p', { class: 'help' }, schema.description) : null,
    list, addBtn);
  const setAll = (v) => {
    while (items.length) items.pop().li.remove();
    if (Array.isArray(v)) v.forEach((x) => add(x));
    renumber();
  };
  if (Array.isArray(schema.default)) setAll(schema.default);
  else for (let i = 0; i < (schema.minItems || 0); i += 1) add();
  renumber();
  return {
    el: fs,
    get: () => {
      if (!items.length) return required ? [] : undefined;
      return items.map((it) => it.field.get()).map((v) => (v === undefined ? (isObject ? {} : null) : v));
    },
    set: setAll,
  };
}

// The top-level form: an object schema's properties.
export function schemaForm(schema) {
  const root = resolve(schema || {});
  if (typesOf(root)[0] !== 'object') {
    return buildField(root, { name: 'input', required: true });
  }
  return objectField(root, { name: 'input', required: true, id: uid('sf'), nested: false });
}
