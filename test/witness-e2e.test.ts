/**
 * The witness as a real process (`sealtrail witness ...` from dist/) against real log processes:
 * poll mode over several rounds, a forked log refused with its evidence, SIGKILL in the middle of
 * requests without ever going backwards, and start-up refusals.
 */
import { defaultMasterKeyPath } from '../src/cli/datadir.js';
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSignerKey, openCheckpoint, openNote, parseVerifierKey } from '../src/note/index.js';
import { formatAddCheckpoint } from '../src/witness/request.js';
import { originHash } from '../src/witness/witness.js';
import { auditRecord, http, tempDir } from './harness.js';
import { run, serve } from './process.js';
import type { Server } from './process.js';
import { readJson, startLogFixture, witnessRun, witnessServe, witnessSpawn, writeConfig } from './witness-process.js';

let dirs: { path: string; remove(): Promise<void> };
const servers: Server[] = [];
beforeAll(async () => {
  dirs = await tempDir('sealtrail-witness-e2e-');
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  await dirs.remove();
});

async function startServe(args: string[], start: (args: string[]) => Promise<Server> = serve): Promise<Server> {
  const server = await start(args);
  servers.push(server);
  return server;
}

async function addEntries(url: string, token: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/ct/v1/add-entry`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(auditRecord(i)) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

async function initWitness(name: string): Promise<{ dir: string; vkey: string }> {
  const dir = join(dirs.path, name);
  const init = await witnessRun(['init', '--data', dir, '--name', `${name}.example/w`]);
  expect(init.code, init.stderr).toBe(0);
  return { dir, vkey: init.stdout.trim().split('\n').pop()! };
}

describe('sealtrail witness, as processes', () => {
  it('watch --once cosigns a growing log process over several rounds', async () => {
    const log = await startServe(['--data', join(dirs.path, 'log')]);
    const token = /(st_[A-Za-z0-9_-]{43})/.exec(log.banner)![1]!;
    const logKey = /verifier key: (\S+)/.exec(log.banner)![1]!;
    const origin = parseVerifierKey(logKey).name;
    const witness = await initWitness('poller');
    const anchors = join(dirs.path, 'anchors.jsonl');
    const config = await writeConfig(join(dirs.path, 'poller.json'), {
      logs: [{ origin, verifier_key: logKey, url: log.url }],
      anchors: [{ type: 'file', path: anchors }],
      anchor_every_entries: 1,
    });

    const sizes: number[] = [];
    for (const growth of [2, 3, 0, 5]) {
      await addEntries(log.url, token, growth);
      const round = await witnessRun(['watch', '--once', '--data', witness.dir, '--config', config]);
      expect(round.code, round.stdout + round.stderr).toBe(0);
      sizes.push(Number(new RegExp(`^${origin}: cosigned tree size (\\d+)`, 'm').exec(round.stdout)![1]));
    }
    expect(sizes).toEqual([2, 5, 5, 10]);
    // Each cosignature that grew the tree was anchored (anchor_every_entries 1) before --once exited.
    const records = (await readFile(anchors, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => r.tree_size)).toEqual([2, 5, 10]);
    for (const record of records) {
      expect(record).toMatchObject({ type: 'sealtrail.anchor/v1', origin, witness: witness.vkey });
      expect(openNote(record.checkpoint, [parseVerifierKey(witness.vkey)]).verified).toHaveLength(1);
    }

    // Continuous rounds: watch --interval, until SIGTERM (exit 0).
    const watching = witnessSpawn(['watch', '--interval', '100ms', '--data', witness.dir, '--config', config]);
    try {
      await watching.waitFor(/cosigned tree size 10 \(unchanged\)/);
      await addEntries(log.url, token, 2);
      await watching.waitFor(/cosigned tree size 12 \(was 10\)/);
    } finally {
      expect(await watching.stop('SIGTERM')).toBe(0);
    }

    // serve --poll: push mode and polling in one process; the cosigned checkpoint is served.
    const server = await startServe(['--data', witness.dir, '--config', config, '--poll', '100ms'], witnessServe);
    await addEntries(log.url, token, 1);
    let served = '';
    for (let i = 0; i < 200 && !served.startsWith(`${origin}\n13\n`); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      served = (await http(`${server.url}/${originHash(origin)}/checkpoint`)).text;
    }
    expect(openCheckpoint(served, parseVerifierKey(logKey)).checkpoint.size).toBe(13);
    expect(openNote(served, [parseVerifierKey(witness.vkey)]).verified).toHaveLength(1);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(await log.stop('SIGTERM')).toBe(0);
  });

  it('a forked log (a copied store with the same key, diverged at size 5) is refused and its evidence holds both checkpoints', async () => {
    const a = join(dirs.path, 'fork-a');
    const b = join(dirs.path, 'fork-b');
    const origin = 'fork.example/log';
    const init = await run(['init', '--data', a, '--origin', origin]);
    expect(init.code, init.stderr).toBe(0);
    const logKey = init.stdout.trim().split('\n').pop()!;
    const created = await run(['token', 'create', '--data', a, '--role', 'submitter', '--name', 'gateway']);
    const token = created.stdout.trim().split('\n').pop()!;

    let log = await startServe(['--data', a]);
    await addEntries(log.url, token, 5);
    expect(await log.stop()).toBe(0);
    await cp(a, b, { recursive: true });
    // The master key is beside a data directory, never inside it: a copy needs it too.
    await cp(defaultMasterKeyPath(a), defaultMasterKeyPath(b));

    const witness = await initWitness('forkwatch');
    const configFile = join(dirs.path, 'forkwatch.json');
    const watchOnce = async (url: string) => {
      await writeConfig(configFile, { logs: [{ origin, verifier_key: logKey, url }] });
      return witnessRun(['watch', '--once', '--attempts', '2', '--retry-delay', '50ms', '--data', witness.dir, '--config', configFile]);
    };

    // Copy a grows to 8 and is cosigned.
    log = await startServe(['--data', a]);
    await addEntries(log.url, token, 3);
    const cosignedNote = await (await fetch(`${log.url}/checkpoint`)).text();
    expect((await watchOnce(log.url)).code).toBe(0);
    expect(await log.stop()).toBe(0);

    // Copy b has the same first 5 entries, then 6 others: 11 entries the log cannot prove consistent with a's 8.
    log = await startServe(['--data', b]);
    await addEntries(log.url, token, 6);
    const forkNote = await (await fetch(`${log.url}/checkpoint`)).text();
    const round = await watchOnce(log.url);
    expect(round.code).toBe(1);
    expect(round.stdout).toMatch(/FORK EVIDENCE written to (\S+)/);
    const file = /FORK EVIDENCE written to (\S+);/.exec(round.stdout)![1]!;
    const errorLine = round.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.level === 'error');
    expect(errorLine).toMatchObject({ origin, evidence: file });

    const evidence = await readJson(file);
    expect(evidence.type).toBe('sealtrail.fork-evidence/v1');
    const verifier = parseVerifierKey(logKey);
    expect(openCheckpoint(evidence.cosigned.checkpoint, verifier).checkpoint).toEqual(openCheckpoint(cosignedNote, verifier).checkpoint);
    expect(openCheckpoint(evidence.conflicting.checkpoint, verifier).checkpoint).toEqual(openCheckpoint(forkNote, verifier).checkpoint);
    expect(evidence.proofs).toHaveLength(2);

    // Refused on the next round too (exit 1), until cleared; --reset starts afresh from b.
    const again = await watchOnce(log.url);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/refused since fork evidence/);
    const cleared = await witnessRun(['clear', '--data', witness.dir, '--origin', origin, '--reset']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toMatch(/no longer refused/);
    const fresh = await watchOnce(log.url);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/cosigned tree size 11 \(was 0\)/);
    expect(await log.stop()).toBe(0);
  });

  it('clear --reset lets anchoring start over: a rebuilt, smaller log is anchored from its first cosignature', async () => {
    const a = join(dirs.path, 'rebuilt-a');
    const b = join(dirs.path, 'rebuilt-b');
    const init = await run(['init', '--data', a, '--origin', 'rebuilt.example/log']);
    expect(init.code, init.stderr).toBe(0);
    const logKey = init.stdout.trim().split('\n').pop()!;
    const token = (await run(['token', 'create', '--data', a, '--role', 'submitter', '--name', 'gateway'])).stdout.trim().split('\n').pop()!;
    let log = await startServe(['--data', a]);
    await addEntries(log.url, token, 5);
    expect(await log.stop()).toBe(0);
    // The operator's backup at size 5, from which the log is later rebuilt.
    await cp(a, b, { recursive: true });
    await cp(defaultMasterKeyPath(a), defaultMasterKeyPath(b));

    const witness = await initWitness('rebuilt');
    const anchors = join(dirs.path, 'rebuilt-anchors.jsonl');
    const configFile = join(dirs.path, 'rebuilt.json');
    const watchOnce = async (url: string) => {
      await writeConfig(configFile, { logs: [{ origin: 'rebuilt.example/log', verifier_key: logKey, url }], anchors: [{ type: 'file', path: anchors }], anchor_every_entries: 1 });
      return witnessRun(['watch', '--once', '--data', witness.dir, '--config', configFile]);
    };
    log = await startServe(['--data', a]);
    await addEntries(log.url, token, 3);
    expect((await watchOnce(log.url)).code).toBe(0);
    expect(await log.stop()).toBe(0);

    log = await startServe(['--data', b]);
    await addEntries(log.url, token, 1);
    const cleared = await witnessRun(['clear', '--data', witness.dir, '--origin', 'rebuilt.example/log', '--reset']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toMatch(/anchoring starts over/);
    const fresh = await watchOnce(log.url);
    expect(fresh.code, fresh.stdout + fresh.stderr).toBe(0);
    expect(fresh.stdout).toMatch(/cosigned tree size 6 \(was 0\)/);
    const records = (await readFile(anchors, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    // Size 6, although 8 was anchored before: the reset forgot it.
    expect(records.map((r) => r.tree_size)).toEqual([8, 6]);
    expect(await log.stop()).toBe(0);
  });

  it('a witness killed with SIGKILL in the middle of requests never goes backwards', async () => {
    const log = await startLogFixture(120, 'killed.example/log');
    try {
      const witness = await initWitness('killed');
      const config = await writeConfig(join(dirs.path, 'killed.json'), { logs: [{ origin: log.origin, verifier_key: log.verifierKey }] });
      let acknowledged = 0;
      const cosignedSize = async (url: string): Promise<number> => {
        const served = await http(`${url}/${originHash(log.origin)}/checkpoint`);
        if (served.status === 404) return 0;
        expect(openNote(served.text, [parseVerifierKey(witness.vkey)]).verified).toHaveLength(1);
        return openCheckpoint(served.text, parseVerifierKey(log.verifierKey)).checkpoint.size;
      };
      for (let cycle = 0; cycle < 3; cycle++) {
        const server = await startServe(['--data', witness.dir, '--config', config], witnessServe);
        // After every restart: at least every size ever answered 200 for.
        expect(await cosignedSize(server.url)).toBeGreaterThanOrEqual(acknowledged);
        let stop = false;
        // Three clients race from whatever size the witness reports (409), a few entries at a time.
        const client = async (step: number): Promise<void> => {
          let old = 0;
          while (!stop) {
            const target = Math.min(old + step, 120);
            const body = formatAddCheckpoint({ oldSize: old, proof: old === 0 || old === target ? [] : await log.proof(old, target), note: log.checkpoints[target]! });
            let reply;
            try {
              reply = await http(`${server.url}/add-checkpoint`, { method: 'POST', body });
            } catch {
              return; // killed
            }
            if (reply.status === 200) {
              acknowledged = Math.max(acknowledged, target);
              old = target;
            } else if (reply.status === 409) {
              old = Number(reply.text);
            } else {
              throw new Error(`unexpected ${reply.status}: ${reply.text}`);
            }
          }
        };
        const clients = [1, 2, 3].map(client);
        await new Promise((resolve) => setTimeout(resolve, 150 + cycle * 100));
        await server.stop('SIGKILL');
        stop = true;
        await Promise.all(clients);
      }
      expect(acknowledged).toBeGreaterThan(0);

      const server = await startServe(['--data', witness.dir, '--config', config], witnessServe);
      const size = await cosignedSize(server.url);
      expect(size).toBeGreaterThanOrEqual(acknowledged);
      const conflict = await http(`${server.url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint({ oldSize: 0, proof: [], note: log.checkpoints[120]! }) });
      expect(Number(conflict.text)).toBe(size);
      expect(await server.stop('SIGTERM')).toBe(0);
    } finally {
      await log.destroy();
    }
  });

  it('refuses to start on a bad configuration (naming the key) or a key file others can read', async () => {
    const witness = await initWitness('strict');
    const bad = await writeConfig(join(dirs.path, 'bad.json'), { logs: [{ origin: 'x.example/log', verifier_key: 'x.example/log+00000000+AQ==' }] });
    const refused = await witnessRun(['serve', '--data', witness.dir, '--config', bad, '--addr', '127.0.0.1:0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bad configuration .*bad\.json: logs\[0\]\.verifier_key: /);

    await chmod(join(witness.dir, 'witness.key'), 0o644);
    const good = await writeConfig(join(dirs.path, 'good.json'), { logs: [{ origin: 'x.example/log', verifier_key: generateSignerKey('x.example/log', (n) => new Uint8Array(randomBytes(n))).verifierKey }] });
    const open = await witnessRun(['watch', '--once', '--data', witness.dir, '--config', good]);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/witness\.key can be read by other users \(mode 644\)/);

    expect((await witnessRun(['serve', '--data', witness.dir])).code).toBe(2);
    expect((await witnessRun(['nonsense'])).code).toBe(2);
    const help = await run(['witness', 'watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/sealtrail witness watch --data DIR --config FILE/);
    await mkdir(join(dirs.path, 'empty'));
    expect((await witnessRun(['clear', '--data', join(dirs.path, 'empty'), '--origin', 'x'])).stderr).toMatch(/no witness in/);
  });
});
