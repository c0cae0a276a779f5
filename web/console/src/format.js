// Money, dates and durations for display. Amounts arrive as integer minor units; they are turned
// into an exact decimal string (no float arithmetic) and handed to Intl.NumberFormat.

const expCache = new Map();
const fmtCache = new Map();

// The currency's minor-unit exponent (USD 2, JPY 0, BHD 3), as Intl knows it.
export function exponent(currency) {
  const c = String(currency || 'USD').toUpperCase();
  if (!expCache.has(c)) {
    let e = 2;
    try {
      e = new Intl.NumberFormat('en', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits;
    } catch {
      e = 2;
    }
    expCache.set(c, e);
  }
  return expCache.get(c);
}

// 245000, 2 -> "2450.00"; -5, 2 -> "-0.05"; 5000, 0 -> "5000"
export function decimalString(minor, exp) {
  let t = typeof minor === 'bigint' ? minor.toString() : String(Math.trunc(Number(minor)));
  const neg = t.startsWith('-');
  if (neg) t = t.slice(1);
  if (exp > 0) {
    t = t.padStart(exp + 1, '0');
    t = `${t.slice(0, t.length - exp)}.${t.slice(t.length - exp)}`;
  }
  return (neg ? '-' : '') + t;
}

function formatter(currency, compact) {
  const key = `${currency}|${compact ? 'c' : ''}`;
  if (!fmtCache.has(key)) {
    const exp = exponent(currency);
    let f;
    try {
      f = new Intl.NumberFormat(undefined, compact
        ? { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }
        : { style: 'currency', currency, minimumFractionDigits: exp, maximumFractionDigits: exp });
    } catch {
      f = { format: (v) => `${currency} ${v}` };
    }
    fmtCache.set(key, f);
  }
  return fmtCache.get(key);
}

// money(245000, 'USD') -> "$2,450.00"
export function money(minor, currency) {
  if (minor === undefined || minor === null || minor === '' || !currency) return '—';
  const exp = exponent(currency);
  return formatter(currency, false).format(decimalString(minor, exp));
}

// For chart axes: "$2.5K". Display only.
export function moneyCompact(minor, currency) {
  const exp = exponent(currency);
  return formatter(currency, true).format(Number(minor) / 10 ** exp);
}

export function pad(n) {
  return String(n).padStart(2, '0');
}

// ISO 8601 timestamp -> "2026-12-07 06:27" in local time; a plain date stays as it is.
export function dateTime(iso, seconds = false) {
  if (!iso) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${base}:${pad(d.getSeconds())}` : base;
}

export function date(iso) {
  if (!iso) return '—';
  return String(iso).slice(0, 10);
}

export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// "2026-03" -> "Mar 26"
export function monthShort(ym) {
  const m = /^(\d{4})-(\d{2})$/.exec(ym || '');
  if (!m) return ym || '';
  return `${MONTHS[Number(m[2]) - 1]} ${m[1].slice(2)}`;
}
export function monthLong(ym) {
  const m = /^(\d{4})-(\d{2})$/.exec(ym || '');
  if (!m) return ym || '';
  return `${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
}

export function thisMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
}

const WORDS = { ok: 'OK', paypal: 'PayPal', credit_card: 'Credit card', bank_transfer: 'Bank transfer', past_due: 'Past due', send_invoice: 'Send invoice' };
export function humanize(s) {
  if (!s) return '';
  if (WORDS[s]) return WORDS[s];
  const t = String(s).replace(/[_-]+/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

export function json(v) {
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}
