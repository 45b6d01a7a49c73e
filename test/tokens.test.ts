/**
 * Token management (issue 4 item 1) through the real CLI process: scoped tokens, list (never the
 * token), revoke by name or fingerprint, and what the server then accepts; principals stored before
 * tenant scopes existed still load, as unscoped. Like test/cli.test.ts, it runs the build in dist/
 * (`npm test` builds first).
 */
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import { Authenticator, createToken, hashToken } from '../src/auth/tokens.js';
import { dataPaths, openStore } from '../src/cli/datadir.js';
import { encodeDcbor } from '../src/record/index.js';
import { tokenKey } from '../src/storage/keys.js';
import { auditRecord, http, postRecord, startLog, tempDir } from './harness.js';
import type { TestLog } from './harness.js';
import { run } from './process.js';

interface Listed {
  name: string;
  role: string;
  tenants: string[] | null;
  createdAt: string;
  fingerprint: string;
}

async function list(dir: string): Promise<Listed[]> {
  const r = await run(['token', 'list', '--data', dir, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

describe('sealtrail token', () => {
  let t: TestLog | undefined;
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  it('create --tenant scopes an auditor; list shows name, role, tenants, time and fingerprint, never the token', async () => {
    t = await startLog({ principals: { alice: 'submitter' } });
    await postRecord(t, auditRecord(0, { tenant_id: 'acme' }));
    await postRecord(t, auditRecord(1, { tenant_id: 'globex' }));
    const dir = t.dir;
    const submitterToken = t.tokens['alice']!;
    await t.stop();

    const created = await run(['token', 'create', '--data', dir, '--role', 'auditor', '--name', 'acme-auditor', '--tenant', 'acme', '--tenant', 'initech']);
    expect(created.code, created.stderr).toBe(0);
    const scopedToken = created.stdout.trim().split('\n').pop()!;
    expect(scopedToken).toMatch(/^st_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('reading tenants "acme", "initech"');
    const admin = await run(['token', 'create', '--data', dir, '--role', 'admin', '--name', 'root']);
    expect(admin.code, admin.stderr).toBe(0);

    const listed = await list(dir);
    expect(listed.map((l) => [l.name, l.role, l.tenants])).toEqual([
      ['alice', 'submitter', null],
      ['acme-auditor', 'auditor', ['acme', 'initech']],
      ['root', 'admin', null],
    ]);
    for (const l of listed) {
      expect(l.fingerprint).toMatch(/^[0-9a-f]{12}$/);
      expect(Number.isNaN(Date.parse(l.createdAt))).toBe(false);
    }
    expect(listed[1]!.fingerprint).toBe(Buffer.from(hashToken(scopedToken)).toString('hex').slice(0, 12));
    const table = await run(['token', 'list', '--data', dir]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME +ROLE +TENANTS +CREATED +FINGERPRINT$/m);
    expect(table.stdout).toMatch(/^acme-auditor +auditor +"acme","initech" +\S+ +[0-9a-f]{12}$/m);
    expect(table.stdout).toMatch(/^root +admin +\(all\) /m);
    for (const secret of [scopedToken, submitterToken]) {
      expect(table.stdout + table.stderr).not.toContain(secret);
      expect(JSON.stringify(listed)).not.toContain(secret);
    }

    // The server loads the scope.
    t = await startLog({ dir });
    expect((await http(`${t.url}/v1/records/0`, { token: scopedToken })).status).toBe(200);
    expect((await http(`${t.url}/v1/records/1`, { token: scopedToken })).status).toBe(404);
    expect((await http(`${t.url}/v1/records/1`, { token: admin.stdout.trim() })).status).toBe(200);
  }, 60_000);

  it('revoke by name or by fingerprint: the token gets 401 once the server restarts', async () => {
    t = await startLog({ principals: { alice: 'submitter', bob: 'submitter', carol: 'auditor' } });
    expect((await postRecord(t, { a: 1 })).status).toBe(200);
    const { dir, tokens } = t;
    await t.stop();

    const byName = await run(['token', 'revoke', '--data', dir, '--name', 'alice']);
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.stdout).toMatch(/^revoked the submitter token [0-9a-f]{12} of alice$/m);
    const carol = (await list(dir)).find((l) => l.name === 'carol')!;
    const byFingerprint = await run(['token', 'revoke', '--data', dir, '--fingerprint', carol.fingerprint.slice(0, 8)]);
    expect(byFingerprint.code, byFingerprint.stderr).toBe(0);
    expect((await list(dir)).map((l) => l.name)).toEqual(['bob']);

    // Nothing matches: exit 1 with the reason, nothing revoked.
    const none = await run(['token', 'revoke', '--data', dir, '--name', 'alice']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no token has the name "alice"');
    expect((await run(['token', 'revoke', '--data', dir, '--fingerprint', 'zz'])).code).toBe(1);

    t = await startLog({ dir });
    const revoked = await postRecord(t, { a: 2 }, tokens['alice']!);
    expect(revoked.status).toBe(401);
    expect(revoked.json).toEqual({ error_code: 'unauthorized', error_message: 'unknown or revoked token' });
    expect((await http(`${t.url}/v1/records/0`, { token: tokens['carol']! })).status).toBe(401);
    expect((await postRecord(t, { a: 3 }, tokens['bob']!)).status).toBe(200);
  }, 60_000);

  it('refuses what would mislead: a scoped submitter, an empty tenant, revoke without a selector', async () => {
    const dir = await tempDir();
    try {
      for (const [args, pattern] of [
        [['create', '--role', 'submitter', '--name', 'gw', '--tenant', 'acme'], /cannot be scoped to tenants/],
        [['create', '--role', 'auditor', '--name', 'aud', '--tenant', ''], /tenant "": a tenant is 1 to 256 bytes/],
        [['revoke'], /one of --name NAME or --fingerprint HEX/],
        [['revoke', '--name', 'a', '--fingerprint', 'abcd'], /one of --name NAME or --fingerprint HEX/],
        [['list', '--role', 'auditor'], /token list takes no --role/],
        [['rotate'], /expected one of/],
      ] as const) {
        const r = await run(['token', ...args, '--data', dir.path]);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(pattern);
      }
    } finally {
      await dir.remove();
    }
  }, 60_000);
});

describe('stored principals', () => {
  it('principals stored as [name, role, createdAt] (before tenant scopes) still load, as unscoped; scoped ones round-trip', async () => {
    const t = await startLog({ principals: {} });
    const dir = t.dir;
    await t.stop();
    const paths = dataPaths(dir);
    const legacyToken = `st_${'L'.repeat(43)}`;
    const raw = new Level<Buffer, Buffer>(paths.db, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await raw.put(tokenKey(hashToken(legacyToken)), Buffer.from(encodeDcbor(['old-auditor', 'auditor', 1700000000000])));
    await raw.close();

    const store = await openStore(paths.db);
    const scopedToken = await createToken(store, { name: 'new-auditor', role: 'auditor', createdAt: 1, tenants: ['acme'] });
    const auth = await Authenticator.load(store);
    expect(auth.authenticate(`Bearer ${legacyToken}`, ['auditor'])).toEqual({ name: 'old-auditor', role: 'auditor', createdAt: 1700000000000 });
    expect(auth.authenticate(`Bearer ${scopedToken}`, ['auditor'])).toEqual({ name: 'new-auditor', role: 'auditor', createdAt: 1, tenants: ['acme'] });
    await store.close();

    // And the server serves the legacy token as an unscoped auditor.
    const served = await startLog({ dir });
    try {
      const res = await http(`${served.url}/v1/records/0`, { token: legacyToken });
      expect(res.status).toBe(404);
      expect(res.json.error_message).toBe('no record at index 0 in the published tree (size 0)');
    } finally {
      await served.destroy();
    }
  });
});
