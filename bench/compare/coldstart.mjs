// Cold start for bench/compare.sh: time from spawning the server command to the first HTTP 200
// from POST <base>/api/agents/<agent>/generate, RUNS times; prints each run and a COLDSTART_JSON
// line (median/min/max ms). Any "%RUN%" in the command is replaced by the run number (e.g. a fresh
// database file per run). The server gets PORT=<base port> in its environment. Each child runs in
// its own process group and is killed (SIGTERM, then SIGKILL) after its run, and on SIGTERM/SIGINT.
//
//   node coldstart.mjs <base-url> <runs> -- <command...>
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const [base, runsArg, sep, ...cmd] = process.argv.slice(2);
if (!base || sep !== '--' || cmd.length === 0) {
  console.error('usage: node coldstart.mjs <base-url> <runs> -- <command...>');
  process.exit(2);
}
const runs = Number(runsArg) || 5;
const agent = process.env.AGENT || 'billingApiAgent';
const body = JSON.stringify({ messages: [{ role: 'user', content: 'Show me billing details for customer CUST-001' }] });
const url = `${base}/api/agents/${agent}/generate`;
const port = new URL(base).port;
let child = null;

function killChild(sig) {
  if (!child) return;
  try { process.kill(-child.pid, sig); } catch {}
}
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => { killChild('SIGKILL'); process.exit(1); });

async function portFree() {
  try {
    await fetch(`${base}/`, { signal: AbortSignal.timeout(300) });
    return false;
  } catch {
    return true;
  }
}

const results = [];
for (let i = 0; i < runs; i++) {
  let free = false;
  for (let k = 0; k < 100 && !(free = await portFree()); k++) await sleep(100);
  if (!free) { console.log(`run ${i + 1}: FAILED (port ${port} still busy)`); continue; }
  const argv = cmd.map((a) => a.replaceAll('%RUN%', String(i + 1)));
  const t0 = process.hrtime.bigint();
  child = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore', env: { ...process.env, PORT: port } });
  let exited = false;
  child.on('exit', () => { exited = true; });
  let ms = null;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !exited) {
    try {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await r.arrayBuffer();
      if (r.status === 200) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        break;
      }
    } catch {
      /* not up yet */
    }
    await sleep(5);
  }
  killChild('SIGTERM');
  for (let k = 0; k < 50 && !exited; k++) await sleep(100);
  killChild('SIGKILL');
  child = null;
  console.log(`run ${i + 1}: ${ms === null ? 'FAILED' + (exited ? ' (process exited)' : ' (timeout)') : ms.toFixed(0) + ' ms'}`);
  if (ms !== null) results.push(ms);
  await sleep(300);
}
results.sort((a, b) => a - b);
const median = results.length ? results[Math.floor((results.length - 1) / 2)] : null;
const f = (x) => (x == null ? 'null' : x.toFixed(0));
console.log(`COLDSTART_JSON {"runs":${runs},"ok":${results.length},"median_ms":${f(median)},"min_ms":${f(results[0])},"max_ms":${f(results.at(-1))}}`);
