// Markdown report for bench/compare.sh from its raw directory.
//   node report.mjs <raw-dir>
import { readFileSync, existsSync } from 'node:fs';

const dir = process.argv[2];
const read = (f) => (existsSync(`${dir}/${f}`) ? readFileSync(`${dir}/${f}`, 'utf8').trim() : '');
const json = (f) => { try { return JSON.parse(read(f)); } catch { return null; } };
const num = (f) => { const v = Number(read(f).split(/\s+/)[0]); return read(f) && Number.isFinite(v) ? v : null; };
const meta = Object.fromEntries(read('meta.txt').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const samples = (f) => read(f).split(/\s+/).map(Number).filter((x) => x > 0).sort((a, b) => a - b);
const median = (a) => (a.length ? a[Math.floor((a.length - 1) / 2)] : null);
const mb = (kb) => (kb == null ? 'n/a' : (kb / 1024).toFixed(1));
const f1 = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : x.toFixed(1));
const f0 = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const ratio = (a, b) => (a == null || b == null || !b ? 'n/a' : `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×`);
const errs = (w) => (w ? w.err_connect + w.err_read + w.err_write + w.err_status + w.err_timeout : null);
const errStr = (w) => {
  if (!w) return 'n/a';
  const e = errs(w);
  return e ? `${e} (connect ${w.err_connect}, read ${w.err_read}, write ${w.err_write}, status ${w.err_status}, timeout ${w.err_timeout})` : '0';
};
const cold = (f) => { const m = read(f).match(/COLDSTART_JSON (.*)/); try { return m ? JSON.parse(m[1]) : null; } catch { return null; } };
const lat = (w) => (w ? `${w.p50_ms.toFixed(2)} / ${w.p99_ms.toFixed(2)}` : 'n/a');
const out = [];
const p = (s = '') => out.push(s);

const slow = meta.MODE === 'slow';
p(`# ${slow ? 'Slow-LLM' : 'Overhead'} comparison: Mastra 0.24.9 reference vs our C++ server (${meta.DATE})`);
p();
p(`- machine: ${meta.HOST}; load average ${meta.LOAD_START} at start, ${meta.LOAD_END} at end; wrk ${meta.WRK} on the same machine (wrk, mock and server share the cores); node ${meta.NODE}; ulimit -n ${meta.ULIMIT_N}`);
p(`- wrk threads ${meta.THREADS}; ours at commit ${meta.OURS_COMMIT}`);
p('- request: POST /api/agents/billingApiAgent/generate `{"messages":[{"role":"user","content":"Show me billing details for customer CUST-001"}]}`; each generate = 2 mock LLM calls + 1 tool call');
p('- Mastra: `node .mastra/output/index.mjs` (production build, no OTel preload), PAYMENT_SUCCESS_RATE=1; ours: build/release/billing-agent, BILLING_PAYMENT_MODE=approve, fresh SQLite database');
p();

if (!slow) {
  const W = (who, c) => json(`${who}-c${c}.json`);
  const rT1 = json('mock-resp-t1.json'), rT2 = json('mock-resp-t2.json');
  const cT1 = json('mock-chat-t1.json'), cT2 = json('mock-chat-t2.json');
  const perGen = (a, b) => (a && b ? 1 / (1 / a.rps + 1 / b.rps) : null); // one turn-1 + one turn-2 call per generate
  const refLimit = perGen(rT1, rT2), oursLimit = perGen(cT1, cT2);
  const hm = (a, b) => (a && b ? 2 / (1 / a.rps + 1 / b.rps) : null);
  const single = (who) => read(`${who}-single.txt`).split(' ');
  const rs = single('ref'), os = single('ours');
  const rssL = (who) => samples(`${who}-rss-c64.txt`);
  const rl = rssL('ref'), ol = rssL('ours');
  const rc = cold('ref-cold.txt'), oc = cold('ours-cold.txt');
  p(`Mock at MOCK_LATENCY_MS=0. Per server: ${meta.WARMUP} s warm-up at c=16, then ${meta.DURATION} s per level, wrk --timeout ${meta.WRK_TIMEOUT}; mock alone: ${meta.MOCK_DURATION} s per body at c=16; cold start: ${meta.COLD_RUNS} spawns each.`);
  p();
  p('| metric | Mastra 0.24.9 (reference) | ours (C++) | ratio |');
  p('|---|---|---|---|');
  for (const c of [1, 16, 64]) {
    const a = W('ref', c), b = W('ours', c);
    p(`| generate c=${c}: req/s | ${f1(a?.rps)} | ${f1(b?.rps)} | ours/ref **${ratio(b?.rps, a?.rps)}** |`);
    p(`| generate c=${c}: p50 / p99 ms | ${lat(a)} | ${lat(b)} | p50 ref/ours ${ratio(a?.p50_ms, b?.p50_ms)} |`);
    p(`| generate c=${c}: requests, errors | ${f0(a?.requests)}, ${errStr(a)} | ${f0(b?.requests)}, ${errStr(b)} | |`);
  }
  const ri = num('ref-rss-idle.txt'), oi = num('ours-rss-idle.txt');
  p(`| RSS idle, after one request (MB) | ${mb(ri)} | ${mb(oi)} | ref/ours **${ratio(ri, oi)}** |`);
  p(`| RSS during c=64, median of 0.5 s samples (MB) | ${mb(median(rl))} | ${mb(median(ol))} | ref/ours **${ratio(median(rl), median(ol))}** |`);
  p(`| RSS during c=64, max sample (MB) | ${mb(rl.at(-1))} | ${mb(ol.at(-1))} | ref/ours ${ratio(rl.at(-1), ol.at(-1))} |`);
  p(`| peak RSS over the run, VmHWM (MB) | ${mb(num('ref-hwm.txt'))} | ${mb(num('ours-hwm.txt'))} | ref/ours ${ratio(num('ref-hwm.txt'), num('ours-hwm.txt'))} |`);
  const cs = (c) => (c && c.ok ? `${c.median_ms} (${c.min_ms}–${c.max_ms}, ${c.ok}/${c.runs} ok)` : 'n/a');
  p(`| cold start: spawn → first HTTP 200 generate, median ms (min–max) | ${cs(rc)} | ${cs(oc)} | ref/ours **${ratio(rc?.median_ms, oc?.median_ms)}** |`);
  const oe = cold('ours-cold-existing.txt');
  p(`| cold start, ours restarting on an existing database (no seeding), median ms | (in-memory store, always seeds) | ${cs(oe)} | ref/ours ${ratio(rc?.median_ms, oe?.median_ms)} |`);
  p(`| single unloaded generate (ms), response size (bytes) | ${f1(Number(rs[0]) * 1000)}, ${f0(Number(rs[1]))} | ${f1(Number(os[0]) * 1000)}, ${f0(Number(os[1]))} | |`);
  p(`| LLM endpoint used | POST /v1/responses | POST ${read('chat-turn1.path') || '?'} | |`);
  p(`| mock alone, c=16: turn-1 / turn-2 calls/s | ${f0(rT1?.rps)} / ${f0(rT2?.rps)} | ${f0(cT1?.rps)} / ${f0(cT2?.rps)} | |`);
  p(`| mock calls/s (harmonic mean of the two bodies) | ${f0(hm(rT1, rT2))} | ${f0(hm(cT1, cT2))} | |`);
  p(`| **mock limit** = mock calls/s ÷ 2 calls per generate (generates/s) | ${f0(refLimit)} | ${f0(oursLimit)} | |`);
  p(`| c=16 throughput as % of the mock limit | ${f1(W('ref', 16) && refLimit ? (100 * W('ref', 16).rps) / refLimit : null)} % | **${f1(W('ours', 16) && oursLimit ? (100 * W('ours', 16).rps) / oursLimit : null)} %** | |`);
  p();
  p('Notes: ratios > 1 favour ours. The mock limit is measured with the mock alone (wrk + mock on the same cores, no agent server);');
  p('with the server running too, all three share the CPU, so 100 % is not reachable. Mastra makes the agent answer through the');
  p('Responses API (its bodies: bench/mock-request-turn*.json of the reference), ours through Chat Completions (bodies captured');
  p('from our server through bench/compare/capture-proxy.mjs, in the raw directory as chat-turn1/2.json).');
  p(`Cold start: ${read('ref-cold.txt').split('\n').filter((l) => l.startsWith('run')).join('; ')} (ref) | ${read('ours-cold.txt').split('\n').filter((l) => l.startsWith('run')).join('; ')} (ours, fresh database per run).`);
} else {
  const kv = meta;
  const conns = { ref: Number(kv.SLOW_REF_CONNS), ours: Number(kv.SLOW_CONNS) };
  const cset = [['Mastra 0.24.9', 'ref', conns.ref], ['ours (C++)', 'ours', conns.ref], ['ours (C++)', 'ours', conns.ours]];
  p(`Mock at MOCK_LATENCY_MS=${kv.SLOW_LATENCY_MS}; ${kv.SLOW_DURATION} s per run, no warm-up (ramp-up included), wrk --timeout 30s.`);
  p();
  p(`| metric | ${cset.map(([n, , c]) => `${n}, c=${c}`).join(' | ')} |`);
  p(`|---|${cset.map(() => '---').join('|')}|`);
  const single = (who) => Number(read(`${who}-single.txt`).split(' ')[0]);
  const row = (label, fn) => p(`| ${label} | ${cset.map(([, who, c]) => fn(who, c, json(`${who}-slow-c${c}.json`))).join(' | ')} |`);
  row('unloaded generate (s)', (who) => single(who).toFixed(3));
  row('ideal req/s = c ÷ unloaded generate', (who, c) => f1(c / single(who)));
  row(`max possible in a ${kv.SLOW_DURATION} s closed-loop run = c × floor(D ÷ T) ÷ D`, (who, c) => f1((c * Math.floor(Number(kv.SLOW_DURATION) / single(who))) / Number(kv.SLOW_DURATION)));
  row('req/s', (who, c, w) => `**${f1(w?.rps)}**`);
  row('% of ideal', (who, c, w) => (w ? `${((100 * w.rps) / (c / single(who))).toFixed(1)} %` : 'n/a'));
  row('p50 / p99 / max ms', (who, c, w) => (w ? `${w.p50_ms.toFixed(0)} / ${w.p99_ms.toFixed(0)} / ${w.max_ms.toFixed(0)}` : 'n/a'));
  row('completed requests', (who, c, w) => f0(w?.requests));
  row('errors', (who, c, w) => errStr(w));
  row('RSS idle before the run (MB)', (who) => mb(num(`${who}-rss-idle.txt`)));
  row('RSS max sample during the run (MB)', (who, c) => mb(samples(`${who}-slow-c${c}-rss.txt`).at(-1)));
  row('peak RSS of the process over all its runs, VmHWM (MB)', (who) => mb(num(`${who}-hwm.txt`)));
  p();
  p('Ideal = connections ÷ duration of one unloaded generate (2 sequential mock calls of the configured latency).');
  p('Completed requests in a run that starts cold count the ramp-up: the first responses arrive only after one generate time.');
}
p();
const st = json('mock-stats.json');
if (st) p(`Mock counters for the whole run: \`${JSON.stringify(st.requests)}\``);
console.log(out.join('\n'));
