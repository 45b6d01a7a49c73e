/**
 * End-to-end HTTP benchmark: single add-entry with 64 concurrent keep-alive clients, against
 * sealtrail (receipts only after fsync and signing) and, in the same run, against a bare Hono
 * handler that only parses the same JSON body. Both servers run as separate processes; the load
 * generator (autocannon) runs in this one.
 *
 * Usage: npm run bench [-- --duration 10]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const BIN = fileURLToPath(new URL('../../bin/sealtrail.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.js', import.meta.url));
const DURATION = Number(process.argv[process.argv.indexOf('--duration') + 1]) || 10;
const CONNECTIONS = 64;

/** A realistic ~1 KB, 13-field audit record, as a gateway would send it. */
export const RECORD = JSON.stringify({
  timestamp: '2026-11-23T12:00:00.000Z',
  tenant_id: 'tenant-7',
  user_id: 'user-42@example.com',
  model: 'gpt-5.1',
  model_version: '2026-10-01',
  provider: 'openai',
  category: 'normal',
  guardrails: { pii: 'pass', jailbreak: 'pass', toxicity: 0.01 },
  tokens: { prompt: 812, completion: 128 },
  cost_usd: 0.0123,
  prompt_sha256: 'a'.repeat(64),
  response_sha256: 'b'.repeat(64),
  notes: 'x'.repeat(560),
});

function start(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve({ child, url: m[1]!, out: () => out });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export interface Load {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
}

export async function load(url: string, token: string | undefined, connections = CONNECTIONS): Promise<Load> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers['authorization'] = `Bearer ${token}`;
  // A short warm-up so both servers are measured hot.
  await autocannon({ url: `${url}/ct/v1/add-entry`, method: 'POST', headers, body: RECORD, connections, duration: 2 });
  const r = await autocannon({ url: `${url}/ct/v1/add-entry`, method: 'POST', headers, body: RECORD, connections, duration: DURATION });
  return { requestsPerSecond: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

export async function benchBare(): Promise<Load> {
  const bare = await start([BARE], /on (http:\/\/\S+)/);
  try {
    return await load(bare.url, undefined);
  } finally {
    await stop(bare.child);
  }
}

/** Runs a fresh sealtrail server (extra `serve` flags in `args`) under the add-entry load. */
export async function benchSealtrail(args: string[] = [], connections = CONNECTIONS): Promise<Load & { entries: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'sealtrail-bench-'));
  try {
    const server = await start([BIN, 'serve', '--data', join(dir, 'data'), '--addr', '127.0.0.1:0', ...args], /serving .* on (http:\/\/\S+)/);
    const token = /(st_[A-Za-z0-9_-]{43})/.exec(server.out())![1]!;
    const ours = await load(server.url, token, connections);
    const sth = (await (await fetch(`${server.url}/ct/v1/get-sth`)).json()) as { tree_size: number };
    await stop(server.child);
    return { ...ours, entries: sth.tree_size };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}
