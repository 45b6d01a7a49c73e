/**
 * The CLI as a process: commands, help, exit codes (0 ok, 1 failure, 2 usage).
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVerifierKey } from '../src/note/index.js';
import { tempDir } from './harness.js';
import { run, serve } from './process.js';

describe('sealtrail CLI', () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => dir.remove());

  it('init creates a log, prints the verifier key and writes it to DIR/log.vkey', async () => {
    const data = join(dir.path, 'a');
    const r = await run(['init', '--data', data, '--origin', 'audit.example.com/prod']);
    expect(r.code).toBe(0);
    const vkey = (await readFile(join(data, 'log.vkey'), 'utf8')).trim();
    expect(r.stdout).toContain(vkey);
    expect(parseVerifierKey(vkey).name).toBe('audit.example.com/prod');
    expect((await stat(join(data, 'log.key'))).mode & 0o777).toBe(0o600);
    const again = await run(['init', '--data', data, '--origin', 'other']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a log/);
  });

  it('token create prints the token alone on the last line of stdout', async () => {
    const data = join(dir.path, 'b');
    await run(['init', '--data', data, '--origin', 'b.example/log']);
    const r = await run(['token', 'create', '--data', data, '--role', 'submitter', '--name', 'gateway-1']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^st_[A-Za-z0-9_-]{43}$/);

    // The server uses it; while the server runs, the store is locked and token create says so.
    const server = await serve(['--data', data]);
    try {
      const res = await fetch(`${server.url}/ct/v1/add-entry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${lines[lines.length - 1]}` },
        body: '{"a":1}',
      });
      expect(res.status).toBe(200);
      const locked = await run(['token', 'create', '--data', data, '--role', 'submitter', '--name', 'x']);
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(/in use by another process/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('exits 0 on SIGTERM sent the moment it says it is serving', async () => {
    for (let i = 0; i < 3; i++) {
      const server = await serve(['--data', join(dir.path, `sig${i}`)]);
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  it('refuses a signer key others can read', async () => {
    const data = join(dir.path, 'c');
    await run(['init', '--data', data, '--origin', 'c.example/log']);
    const { chmod } = await import('node:fs/promises');
    await chmod(join(data, 'log.key'), 0o644);
    const r = await run(['serve', '--data', data, '--addr', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/chmod 600/);
  });

  it('npm ci links the bin, so `npx sealtrail` runs this checkout', async () => {
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile('npx', ['--no-install', 'sealtrail', '--version'], { cwd: new URL('..', import.meta.url) }, (e, stdout) => (e ? reject(e) : resolve(stdout))),
    );
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(out.trim()).toBe(pkg.version);
  });

  it.each([
    [['--help'], 0, /Commands:/],
    [['init', '--help'], 0, /--origin NAME/],
    [['serve', '--help'], 0, /--addr HOST:PORT/],
    [['token', '--help'], 0, /token create/],
    [['verify-receipt', '--help'], 0, /RECEIPT.json RECORD.json/],
    [['witness', '--help'], 0, /Subcommands:/],
    [['witness', 'watch', '--help'], 0, /^Usage: sealtrail witness watch/],
    [['witness', 'anchors', '--help'], 0, /^Usage: sealtrail witness anchors --data DIR/],
    [['witness', 'nope'], 2, /unknown subcommand/],
    [[], 2, /Usage/],
    [['frobnicate'], 2, /unknown command/],
    [['init', '--data', '/tmp/x'], 2, /--origin is required/],
    [['init', '--bogus'], 2, /bogus/],
    [['token', 'create', '--data', '/tmp/x', '--role', 'king', '--name', 'n'], 2, /--role must be one of/],
    [['serve', '--addr', 'nope'], 2, /--addr must be HOST:PORT/],
    [['verify-receipt', '--vkey', 'k', 'only-one.json'], 2, /two files/],
  ])('sealtrail %j exits %i', async (args, code, out) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(code);
    expect(r.stdout + r.stderr).toMatch(out);
  });

  it('verify-receipt fails with exit 1 on a receipt that is not JSON', async () => {
    const f = join(dir.path, 'junk.json');
    await writeFile(f, 'not json');
    const r = await run(['verify-receipt', '--vkey', 'x+00000000+AQ==', f, f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAIL receipt/);
  });
});
