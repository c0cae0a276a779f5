// Starts the real billing-agent binary (BILLING_AGENT_BINARY) on a free port over a fresh SQLite
// file, for the Node tests of this directory; resolves to { baseUrl, stop, db, binary }.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startServer(env = {}) {
  const binary = process.env.BILLING_AGENT_BINARY;
  assert.ok(binary, 'BILLING_AGENT_BINARY must point at the built server');
  const dir = mkdtempSync(join(tmpdir(), 'billing-compat-'));
  const server = spawn(binary, ['--host', '127.0.0.1', '--port', '0', '--db', join(dir, 'billing.db')], {
    env: { ...process.env, BILLING_TODAY: '2026-11-25', BILLING_PAYMENT_MODE: 'approve',
           OPENAI_API_KEY: '', BILLING_MODEL: 'local', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const baseUrl = await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 20000);
    const onData = (chunk) => {
      log += chunk;
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`server exited ${code}:\n${log}`)));
  }).catch((e) => { stop(); throw e; });
  return { baseUrl, stop, db: join(dir, 'billing.db'), binary };
}
