// The console's shell: header, navigation, hash router, sign-in.
import { h, replace, clear } from './dom.js';
import { getKey, setKey, onUnauthorized, me, request, ApiError, isAbort } from './api.js';
import { errorBox, safe } from './ui.js';
import { dashboardPage } from './pages/dashboard.js';
import { chatPage } from './pages/chat.js';
import { listPage, detailPage, RESOURCES } from './pages/records.js';
import { toolsPage } from './pages/tools.js';
import { tracesPage, tracePage } from './pages/traces.js';
import { eventsPage, eventPage, webhookEndpointPage, webhookDeliveryPage } from './pages/events.js';
import { auditPage } from './pages/audit.js';

const NAV = [
  ['dashboard', 'Dashboard'],
  ['chat', 'Chat'],
  ['customers', 'Customers'],
  ['invoices', 'Invoices'],
  ['payments', 'Payments'],
  ['subscriptions', 'Subscriptions'],
  ['credit-notes', 'Credit notes'],
  ['tools', 'Tools'],
  ['traces', 'Traces'],
  ['events', 'Events & webhooks'],
  ['audit', 'Audit log'],
];

const ROUTES = [
  [/^\/dashboard$/, (c) => dashboardPage(c)],
  [/^\/chat(?:\/([^/]+))?$/, (c, m) => chatPage(c, m[1] ? decodeURIComponent(m[1]) : null)],
  [/^\/(customers|invoices|payments|subscriptions|credit-notes)$/, (c, m) => listPage(c, RESOURCES[m[1]])],
  [/^\/(customers|invoices|payments|subscriptions|credit-notes)\/([^/]+)$/, (c, m) => detailPage(c, RESOURCES[m[1]], decodeURIComponent(m[2]))],
  [/^\/tools(?:\/([^/]+))?$/, (c, m) => toolsPage(c, m[1] ? decodeURIComponent(m[1]) : null)],
  [/^\/traces$/, (c) => tracesPage(c)],
  [/^\/traces\/([^/]+)$/, (c, m) => tracePage(c, decodeURIComponent(m[1]))],
  [/^\/events$/, (c) => eventsPage(c)],
  [/^\/events\/([^/]+)$/, (c, m) => eventPage(c, decodeURIComponent(m[1]))],
  [/^\/webhooks\/([^/]+)$/, (c, m) => webhookEndpointPage(c, decodeURIComponent(m[1]))],
  [/^\/webhook-deliveries\/([^/]+)$/, (c, m) => webhookDeliveryPage(c, decodeURIComponent(m[1]))],
  [/^\/audit$/, (c) => auditPage(c)],
];

let main;
let navEl;
let menuBtn;
let whoEl;
let signOutBtn;
let current = null; // {controller, cleanup}
let signInShown = false;
let firstRender = true;

export function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/dashboard';
  const i = raw.indexOf('?');
  const path = (i < 0 ? raw : raw.slice(0, i)) || '/dashboard';
  const query = new URLSearchParams(i < 0 ? '' : raw.slice(i + 1));
  return { path: path.startsWith('/') ? path : `/${path}`, query };
}

export function hrefFor(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  return `#${path}${qs ? `?${qs}` : ''}`;
}

function setNavOpen(open) {
  document.body.classList.toggle('nav-open', open);
  menuBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
}

function updateNav(path) {
  const section = path.split('/')[1] || 'dashboard';
  const active = section === 'webhooks' || section === 'webhook-deliveries' ? 'events' : section;
  for (const a of navEl.querySelectorAll('a')) {
    if (a.dataset.section === active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function updateWho() {
  try {
    const p = await me();
    const key = getKey();
    let text;
    if (p.assumed) text = key ? 'Signed in with an API key' : 'Connected';
    else if (!p.authenticated) text = 'Development mode (no authentication)';
    else text = `Signed in as ${p.id}${p.customerId ? ` for ${p.customerId}` : ''}`;
    replace(whoEl, text);
    whoEl.title = p.scopes && p.scopes.length ? `Scopes: ${p.scopes.join(', ')}` : '';
    signOutBtn.hidden = !key;
  } catch (e) {
    if (!isAbort(e)) replace(whoEl, getKey() ? 'Signed in' : 'Not signed in');
    signOutBtn.hidden = !getKey();
  }
}

// Stops the page shown: its requests are aborted and its cleanup (timers, pollers) runs.
function leavePage() {
  if (!current) return;
  current.controller.abort();
  if (typeof current.cleanup === 'function') {
    try {
      current.cleanup();
    } catch {
      /* a page's cleanup must not break navigation */
    }
  }
  current = null;
}

function route() {
  leavePage();
  signInShown = false;
  setNavOpen(false);
  const { path, query } = parseHash();
  updateNav(path);
  clear(main);
  const controller = new AbortController();
  const ctx = { main, query, path, signal: controller.signal, hrefFor };
  current = { controller, cleanup: null };
  const found = ROUTES.find(([re]) => re.test(path));
  if (!found) {
    document.title = 'Not found · Billing console';
    main.appendChild(h('h1', { tabindex: '-1', class: 'page-title' }, 'Page not found'));
    main.appendChild(h('p', null, 'There is no page at this address. ', h('a', { href: '#/dashboard' }, 'Go to the dashboard')));
  } else {
    const [re, page] = found;
    try {
      const r = page(ctx, path.match(re));
      if (r && typeof r.then === 'function') {
        const holder = current;
        r.then((cleanup) => {
          if (holder === current) holder.cleanup = cleanup;
          else if (typeof cleanup === 'function') cleanup();
        }).catch((e) => {
          if (!isAbort(e) && holder === current) main.appendChild(errorBox(e));
        });
      } else {
        current.cleanup = r;
      }
    } catch (e) {
      main.appendChild(errorBox(e));
    }
  }
  if (!firstRender) {
    // Move focus to the new page: its heading, or the main region while the page loads.
    const h1 = main.querySelector('h1');
    (h1 || main).focus({ preventScroll: true });
  }
  firstRender = false;
  window.scrollTo(0, 0);
}

function showSignIn(err) {
  if (signInShown) return;
  signInShown = true;
  leavePage();
  document.title = 'Sign in · Billing console';
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, class: 'input-wide', placeholder: 'bk_…' });
  const errSlot = h('div');
  const hadKey = !!getKey();
  const form = h('form', { class: 'signin card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', tabindex: '-1', class: 'page-title' }, 'Sign in'),
    h('p', null, hadKey
      ? 'The server refused the API key of this tab. Paste another key to continue.'
      : 'This server needs an API key. Paste yours to continue. It is kept for this browser tab only and sent with every request.'),
    err && hadKey ? h('p', { class: 'muted' }, `Server said: ${err.message}`) : null,
    h('div', { class: 'control' },
      h('label', { for: 'api-key' }, 'API key'),
      input,
      h('p', { class: 'help', id: 'api-key-help' }, 'Keys are made with “billing-agent keys create”.')),
    errSlot,
    h('div', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in')));
  input.setAttribute('aria-describedby', 'api-key-help');
  form.addEventListener('submit', safe(async (e) => {
    e.preventDefault();
    replace(errSlot);
    const key = input.value.trim();
    if (!key) return;
    setKey(key);
    try {
      // Any GET under /api needs a valid principal: a bad key answers 401.
      await request('/api/agents?partial=true', { quiet401: true });
    } catch (ex) {
      if (ex instanceof ApiError && ex.status === 403) {
        // A valid key without the read scope: signed in, the pages will say what it lacks.
        signInShown = false;
        updateWho();
        route();
        return;
      }
      setKey('');
      replace(errSlot, errorBox(ex, { title: ex instanceof ApiError && ex.status === 401 ? 'Key refused' : 'Could not sign in' }));
      input.focus();
      return;
    }
    signInShown = false;
    updateWho();
    route();
  }));
  replace(main, form);
  updateWho();
  input.focus();
}

function signOut() {
  setKey('');
  updateWho();
  route();
}

function shell() {
  const root = document.getElementById('app');
  menuBtn = h('button', { type: 'button', class: 'menu-btn', 'aria-expanded': 'false', 'aria-controls': 'main-nav' },
    h('span', { class: 'menu-icon', 'aria-hidden': 'true' }), 'Menu');
  menuBtn.addEventListener('click', () => setNavOpen(!document.body.classList.contains('nav-open')));
  whoEl = h('span', { class: 'who' }, '');
  signOutBtn = h('button', { type: 'button', class: 'btn btn-small', hidden: true }, 'Sign out');
  signOutBtn.addEventListener('click', signOut);
  navEl = h('nav', { id: 'main-nav', class: 'nav', 'aria-label': 'Main' },
    h('ul', null, NAV.map(([id, label]) => h('li', null, h('a', { href: `#/${id}`, 'data-section': id }, label)))));
  main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const header = h('header', { class: 'topbar' },
    h('a', { class: 'skip-link', href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, 'Skip to content'),
    menuBtn,
    h('a', { class: 'brand', href: '#/dashboard' }, h('img', { src: 'assets/favicon.svg', alt: '', width: '22', height: '22' }), h('span', null, 'Billing console')),
    h('div', { class: 'topbar-right' }, whoEl, signOutBtn));
  root.appendChild(header);
  root.appendChild(h('div', { class: 'layout' }, navEl, main));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('nav-open')) {
      setNavOpen(false);
      menuBtn.focus();
    }
  });
}

function start() {
  shell();
  onUnauthorized((err) => showSignIn(err));
  window.addEventListener('hashchange', route);
  window.addEventListener('unhandledrejection', (e) => {
    if (isAbort(e.reason)) e.preventDefault();
  });
  if (!location.hash) history.replaceState(null, '', '#/dashboard');
  updateWho();
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
