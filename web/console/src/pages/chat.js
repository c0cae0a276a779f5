// Chat with billingApiAgent: conversation threads from memory, streamed answers (Mastra vNext
// chunks over SSE framing, read incrementally), tool calls as expandable badges.
import { h, replace } from '../dom.js';
import { request, authHeaders, errorText, isAbort, ApiError, notifyUnauthorized } from '../api.js';
import { errorBox, loading, toast, pageHeader } from '../ui.js';
import { dateTime, json } from '../format.js';

const AGENT = 'billingApiAgent';
const RESOURCE = 'console';
const SUGGESTIONS = [
  'What is the outstanding balance of CUST-001?',
  'Show me all overdue invoices',
  'List all customers with outstanding balances',
  'What’s our MRR?',
];

// ---- light Markdown: paragraphs with hard breaks, "- " / "1. " lists, tables, **bold**,
// `code` and backslash escapes (the planner escapes what it does not mean as syntax); text
// nodes only, never HTML ----
const PUNCT = /[!-/:-@[-`{-~]/;

function inline(text) {
  const out = [];
  let buf = '';
  let bold = null;  // the <strong> being filled, when inside **...**
  const flush = () => {
    if (!buf) return;
    if (bold) bold.appendChild(document.createTextNode(buf));
    else out.push(buf);
    buf = '';
  };
  for (let i = 0; i < text.length; ++i) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && PUNCT.test(text[i + 1])) {
      buf += text[++i];
    } else if (c === '*' && text[i + 1] === '*' && (bold || text.indexOf('**', i + 2) > i + 2)) {
      flush();
      if (bold) {
        out.push(bold);
        bold = null;
      } else {
        bold = h('strong', null);
      }
      ++i;
    } else if (c === '`' && !bold && text.indexOf('`', i + 1) > i) {
      flush();
      const close = text.indexOf('`', i + 1);
      out.push(h('code', null, text.slice(i + 1, close)));
      i = close;
    } else {
      buf += c;
    }
  }
  flush();
  if (bold) out.push(bold);
  return out;
}

const cells = (line) => {
  const parts = [];
  let cur = '';
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; ++i) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cur += '\\|';
      ++i;
    } else if (body[i] === '|') {
      parts.push(cur.trim());
      cur = '';
    } else {
      cur += body[i];
    }
  }
  parts.push(cur.trim());
  return parts;
};

export function renderMarkdown(text) {
  const root = h('div', { class: 'md' });
  const lines = String(text).replace(/\r\n/g, '\n').split('\n');
  let list = null;
  let listType = '';
  let para = null;
  let table = null;
  let align = [];
  const end = () => {
    list = null;
    listType = '';
    para = null;
    table = null;
  };
  for (let k = 0; k < lines.length; ++k) {
    const line = lines[k];
    const ul = /^\s*[-*•]\s+(.*)$/.exec(line);
    const ol = /^\s*(\d+)[.)]\s+(.*)$/.exec(line);
    const rule = /^\s*\|?(\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*$/;
    if (/^\s*\|/.test(line)) {
      if (!table) {
        end();
        // A header row, then its rule ("|---|---:|"), then the rows.
        const next = lines[k + 1] || '';
        if (!rule.test(next)) {
          para = h('p', null, ...inline(line));
          root.appendChild(para);
          continue;
        }
        align = cells(next).map((c) => (c.endsWith(':') ? 'num' : ''));
        const head = h('tr', null, ...cells(line).map((c, i) => h('th', { scope: 'col', class: align[i] || null }, ...inline(c))));
        table = h('tbody', null);
        root.appendChild(h('div', { class: 'md-table' }, h('table', null, h('thead', null, head), table)));
        ++k;
        continue;
      }
      table.appendChild(h('tr', null, ...cells(line).map((c, i) => h('td', { class: align[i] || null }, ...inline(c)))));
    } else if (ul || ol) {
      const type = ul ? 'ul' : 'ol';
      if (!list || listType !== type) {
        end();
        list = h(type, null);
        listType = type;
        root.appendChild(list);
      }
      list.appendChild(h('li', null, ...inline(ul ? ul[1] : ol[2])));
    } else if (!line.trim()) {
      end();
    } else {
      if (!para) {
        end();
        para = h('p', null);
        root.appendChild(para);
      } else {
        para.appendChild(h('br'));
      }
      para.append(...inline(line.replace(/\s+$/, '')).map((n) => (typeof n === 'string' ? document.createTextNode(n) : n)));
    }
  }
  return root;
}

// ---- tool badges ----
// Short arguments on one line ({ "customerId": "CUST-001" }), longer ones indented.
function argsText(args) {
  const text = json(args);
  const one = text.replace(/\n\s*/g, ' ');
  return one.length <= 72 ? one : text;
}

function toolBadge(call) {
  const state = h('span', { class: 'tool-state' });
  const argsPre = h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Arguments' });
  const resultPre = h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Result' });
  const details = h('details', { class: 'tool-call', 'data-tool': call.toolName },
    h('summary', null,
      h('span', { class: 'tool-icon', 'aria-hidden': 'true' }),
      h('span', { class: 'tool-name' }, call.toolName || 'tool'),
      state),
    h('div', { class: 'tool-body' },
      h('h3', { class: 'tool-h' }, 'Arguments'), argsPre,
      h('h3', { class: 'tool-h' }, 'Result'), resultPre));
  const api = {
    el: details,
    setArgs(args) {
      argsPre.textContent = args === undefined ? '(streaming…)' : argsText(args);
    },
    setArgsText(text) {
      argsPre.textContent = text;
    },
    setResult(result) {
      resultPre.textContent = result === undefined ? '(not run yet)' : json(result);
      const failed = result && typeof result === 'object' && (result.error === true || result.success === false);
      details.classList.toggle('tool-failed', !!failed);
      state.textContent = failed ? (result.declined ? 'declined' : 'refused') : 'done';
    },
    setRunning() {
      state.textContent = 'running…';
    },
  };
  api.setArgs(call.args);
  if ('result' in call) api.setResult(call.result);
  else {
    resultPre.textContent = '(running…)';
    api.setRunning();
  }
  return api;
}

function messageShell(role) {
  const body = h('div', { class: 'msg-body' });
  const el = h('article', { class: `msg msg-${role}`, 'aria-label': role === 'user' ? 'You' : 'Agent' },
    h('div', { class: 'msg-meta', 'aria-hidden': 'true' }, role === 'user' ? 'You' : 'Agent'),
    body);
  return { el, body };
}

function renderStored(m) {
  const role = m.role === 'user' ? 'user' : 'assistant';
  const { el, body } = messageShell(role);
  const c = m.content;
  if (typeof c === 'string') {
    body.appendChild(role === 'user' ? h('p', { class: 'user-text' }, c) : renderMarkdown(c));
    return el;
  }
  const parts = (c && c.parts) || [];
  let any = false;
  for (const p of parts) {
    if (p.type === 'text' && p.text) {
      body.appendChild(role === 'user' ? h('p', { class: 'user-text' }, p.text) : renderMarkdown(p.text));
      any = true;
    } else if (p.type === 'tool-invocation' && p.toolInvocation) {
      const t = p.toolInvocation;
      const call = { toolName: t.toolName, args: t.args };
      if (t.state === 'result' || 'result' in t) call.result = t.result;
      body.appendChild(toolBadge(call).el);
      any = true;
    }
  }
  if (!any && c && typeof c.content === 'string') body.appendChild(renderMarkdown(c.content));
  return el;
}

function newThreadId() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return `console-${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

function threadLabel(t) {
  return t.title && t.title.trim() ? t.title : `Conversation ${dateTime(t.createdAt)}`;
}

export async function chatPage(ctx, threadIdParam) {
  const { main, signal } = ctx;
  document.title = 'Chat · Billing console';
  let threadId = threadIdParam;
  let isNew = !threadIdParam;
  if (isNew) threadId = newThreadId();

  const threadList = h('ul', { class: 'thread-list' });
  const threadsSlot = h('div', null, loading('Loading conversations…'));
  const newBtn = h('a', { class: 'btn btn-primary btn-block', href: '#/chat' }, 'New conversation');
  const aside = h('aside', { class: 'threads card', 'aria-labelledby': 'threads-title' },
    h('h2', { id: 'threads-title', class: 'card-title' }, 'Conversations'), newBtn, threadsSlot);

  const log = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions text', 'aria-label': 'Messages' });
  const input = h('textarea', { id: 'chat-input', name: 'message', rows: '2', required: true, placeholder: 'Ask about customers, invoices, payments…', autocomplete: 'off' });
  const sendBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send');
  const stopBtn = h('button', { type: 'button', class: 'btn', hidden: true }, 'Stop');
  const form = h('form', { class: 'composer' },
    h('label', { for: 'chat-input', class: 'sr-only' }, 'Message to the agent'),
    input,
    h('div', { class: 'composer-buttons' }, stopBtn, sendBtn));
  const convTitle = h('h2', { class: 'conv-title', id: 'conv-title' }, isNew ? 'New conversation' : '…');
  const conversation = h('section', { class: 'conversation card', 'aria-labelledby': 'conv-title' }, convTitle, log, form);

  main.append(
    pageHeader('Chat', { subtitle: `With ${AGENT}. Every tool call runs with your key’s scopes.` }),
    h('div', { class: 'chat' }, aside, conversation));

  let threads = [];
  const drawThreads = () => {
    replace(threadList, threads.map((t) => h('li', null, h('a', {
      href: `#/chat/${encodeURIComponent(t.id)}`,
      'aria-current': t.id === threadId && !isNew ? 'page' : undefined,
    }, h('span', { class: 'thread-title' }, threadLabel(t)), h('span', { class: 'thread-date' }, dateTime(t.updatedAt))))));
    replace(threadsSlot, threads.length ? threadList : h('p', { class: 'muted' }, 'No conversations yet.'));
  };
  const loadThreads = async () => {
    try {
      const r = await request('/api/memory/threads', { query: { agentId: AGENT, resourceId: RESOURCE, page: 0, perPage: 50 }, signal });
      threads = (Array.isArray(r) ? r : r.threads || []).slice().sort((a, b) => String(b.updatedAt).localeCompare(String(a.updatedAt)));
      drawThreads();
    } catch (e) {
      if (!isAbort(e)) replace(threadsSlot, errorBox(e));
    }
  };

  const showSuggestions = () => {
    replace(log, h('div', { class: 'suggestions' },
      h('p', { class: 'muted' }, 'Ask the billing agent anything about your customers, invoices, payments and subscriptions. For example:'),
      h('ul', null, SUGGESTIONS.map((s) => h('li', null, h('button', {
        type: 'button',
        class: 'btn btn-suggestion',
        onclick: () => {
          input.value = s;
          form.requestSubmit();
        },
      }, s))))));
  };

  const loadMessages = async () => {
    replace(log, loading('Loading messages…'));
    try {
      const path = `/api/memory/threads/${encodeURIComponent(threadId)}/messages`;
      let r = await request(path, { query: { agentId: AGENT, page: 0, perPage: 100 }, signal });
      let earlier = false;
      if (r.hasMore && r.total > 100) {
        r = await request(path, { query: { agentId: AGENT, page: Math.ceil(r.total / 100) - 1, perPage: 100 }, signal });
        earlier = true;
      }
      const msgs = r.messages || [];
      replace(log, earlier ? h('p', { class: 'muted' }, 'Earlier messages are not shown.') : null, msgs.map(renderStored));
      if (!msgs.length) showSuggestions();
      log.scrollTop = log.scrollHeight;
    } catch (e) {
      if (isAbort(e)) return;
      replace(log, errorBox(e));
    }
  };

  const setThreadTitle = async () => {
    if (isNew) return;
    try {
      const t = await request(`/api/memory/threads/${encodeURIComponent(threadId)}`, { query: { agentId: AGENT }, signal });
      replace(convTitle, threadLabel(t));
    } catch (e) {
      if (!isAbort(e)) replace(convTitle, threadId);
    }
  };

  let streaming = null; // AbortController of the running stream
  stopBtn.addEventListener('click', () => {
    if (streaming) streaming.abort();
  });

  const send = async (text) => {
    if (log.querySelector('.suggestions')) replace(log);
    const mine = messageShell('user');
    mine.body.appendChild(h('p', { class: 'user-text' }, text));
    log.appendChild(mine.el);
    const reply = messageShell('assistant');
    const status = h('p', { class: 'msg-status muted' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Thinking…');
    reply.body.appendChild(status);
    log.appendChild(reply.el);
    log.scrollTop = log.scrollHeight;

    if (isNew) {
      // Create the thread with a title; the run would create it untitled.
      try {
        await request('/api/memory/threads', { method: 'POST', body: { resourceId: RESOURCE, threadId, title: text.slice(0, 80), agentId: AGENT } });
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) throw e;
      }
      isNew = false;
      history.replaceState(null, '', `#/chat/${encodeURIComponent(threadId)}`);
      replace(convTitle, text.slice(0, 80));
    }

    streaming = new AbortController();
    stopBtn.hidden = false;
    sendBtn.disabled = true;
    log.setAttribute('aria-busy', 'true');
    const texts = new Map(); // text block id -> {raw, el}
    const tools = new Map(); // toolCallId -> badge api
    let gotAnything = false;
    const badgeFor = (p) => {
      let b = tools.get(p.toolCallId);
      if (!b) {
        b = toolBadge({ toolName: p.toolName, args: p.args });
        tools.set(p.toolCallId, b);
        reply.body.insertBefore(b.el, status);
      }
      return b;
    };
    const handle = (chunk) => {
      const p = chunk.payload || {};
      switch (chunk.type) {
        case 'text-start':
        case 'text-delta': {
          const id = p.id || 'text';
          let t = texts.get(id);
          if (!t) {
            t = { raw: '', el: h('div', { class: 'msg-text' }) };
            texts.set(id, t);
            reply.body.insertBefore(t.el, status);
          }
          if (chunk.type === 'text-delta' && p.text) {
            t.raw += p.text;
            replace(t.el, renderMarkdown(t.raw));
            gotAnything = true;
          }
          break;
        }
        case 'tool-call-input-streaming-start':
          badgeFor(p).setRunning();
          gotAnything = true;
          break;
        case 'tool-call-delta': {
          const b = badgeFor(p);
          b.argsText = (b.argsText || '') + (p.argsTextDelta || '');
          b.setArgsText(b.argsText);
          break;
        }
        case 'tool-call':
          badgeFor(p).setArgs(p.args);
          gotAnything = true;
          break;
        case 'tool-result': {
          const b = badgeFor(p);
          if (p.args !== undefined) b.setArgs(p.args);
          b.setResult(p.result);
          break;
        }
        case 'error': {
          const msg = (p.error && p.error.message) || (chunk.error && chunk.error.message) || (typeof p.error === 'string' ? p.error : 'The agent failed');
          reply.body.insertBefore(errorBox(new Error(msg), { title: 'The agent stopped' }), status);
          gotAnything = true;
          break;
        }
        default:
          break;
      }
      log.scrollTop = log.scrollHeight;
    };

    try {
      const res = await fetch(`/api/agents/${AGENT}/stream`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...authHeaders() },
        body: JSON.stringify({ messages: [{ role: 'user', content: text }], memory: { thread: threadId, resource: RESOURCE } }),
        signal: streaming.signal,
        cache: 'no-store',
        credentials: 'omit',
      });
      if (!res.ok) {
        const t = await res.text();
        let data = null;
        try {
          data = JSON.parse(t);
        } catch {
          data = null;
        }
        const err = new ApiError(res.status, errorText(res.status, data, t, res.statusText), data);
        if (res.status === 401) notifyUnauthorized(err);
        throw err;
      }
      if (!res.body) throw new Error('This browser cannot read streamed answers.');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let done = false;
      while (!done) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buf += value.replace(/\r\n/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
          if (!data) continue;
          if (data === '[DONE]') {
            done = true;
            break;
          }
          let chunk;
          try {
            chunk = JSON.parse(data);
          } catch {
            continue;
          }
          handle(chunk);
        }
      }
      if (!gotAnything) reply.body.insertBefore(h('p', { class: 'muted' }, '(no answer)'), status);
    } catch (e) {
      if (isAbort(e)) {
        reply.body.insertBefore(h('p', { class: 'muted' }, 'Stopped.'), status);
      } else {
        reply.body.insertBefore(errorBox(e), status);
      }
    } finally {
      status.remove();
      streaming = null;
      stopBtn.hidden = true;
      sendBtn.disabled = false;
      log.removeAttribute('aria-busy');
      log.scrollTop = log.scrollHeight;
      loadThreads();
    }
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text || streaming) return;
    input.value = '';
    send(text).catch((err) => {
      if (!isAbort(err)) toast(err.message, 'error');
    });
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  loadThreads();
  if (isNew) showSuggestions();
  else {
    setThreadTitle();
    await loadMessages();
  }
  return undefined;
}
