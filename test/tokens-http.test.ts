/**
 * Token management over HTTP (issue 4 item 1; spec/formats.md §21): an admin for every tenant
 * lists, creates and revokes tokens while the log serves, and the change holds at once and across a
 * restart. Real LevelDB, real HTTP on port 0, and the real CLI process for `token … --url`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { matchTokens } from '../src/auth/manage.js';
import { createLogger } from '../src/observability/index.js';
import { LogError } from '../src/util/errors.js';
import { auditRecord, http, postRecord, startLog } from './harness.js';
import type { Reply, StartOptions, TestLog } from './harness.js';
import { run } from './process.js';

interface Listed {
  name: string;
  role: string;
  tenants: string[] | null;
  created_at: string;
  fingerprint: string;
}

const PRINCIPALS: NonNullable<StartOptions['principals']> = {
  root: 'admin',
  acmeAdmin: { role: 'admin', tenants: ['acme'] },
  carol: 'auditor',
  alice: 'submitter',
};

function expectError(r: Reply, status: number, code: string, message: RegExp): void {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(Object.keys(r.json as object).sort()).toEqual(['error_code', 'error_message']);
  expect(r.json).toMatchObject({ error_code: code });
  expect((r.json as { error_message: string }).error_message).toMatch(message);
}

describe('/v1/tokens', () => {
  let t: TestLog | undefined;
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  const tokensOf = async (log: TestLog, token = log.tokens['root']!): Promise<Listed[]> => {
    const r = await http(`${log.url}/v1/tokens`, { token });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return (r.json as { tokens: Listed[] }).tokens;
  };
  const create = (log: TestLog, body: unknown, token = log.tokens['root']!): Promise<Reply> =>
    http(`${log.url}/v1/tokens`, { method: 'POST', token, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const revoke = (log: TestLog, what: string, token = log.tokens['root']!): Promise<Reply> =>
    http(`${log.url}/v1/tokens${what}`, { method: 'DELETE', token });

  it('is for admins of every tenant only: 401 without a token, 403 for other roles and for a scoped admin', async () => {
    t = await startLog({ principals: PRINCIPALS });
    expectError(await http(`${t.url}/v1/tokens`), 401, 'unauthorized', /Authorization/);
    for (const who of ['carol', 'alice']) {
      expectError(await http(`${t.url}/v1/tokens`, { token: t.tokens[who]! }), 403, 'forbidden', /role admin/);
      expectError(await create(t, { name: 'x', role: 'admin' }, t.tokens[who]!), 403, 'forbidden', /role admin/);
      expectError(await revoke(t, '?name=root', t.tokens[who]!), 403, 'forbidden', /role admin/);
    }
    // A scoped admin may read its tenants' records but must not mint a token for every tenant.
    const scoped = t.tokens['acmeAdmin']!;
    expectError(await http(`${t.url}/v1/tokens`, { token: scoped }), 403, 'forbidden', /admin token for every tenant/);
    expectError(await create(t, { name: 'mallory', role: 'admin' }, scoped), 403, 'forbidden', /admin token for every tenant/);
    expectError(await revoke(t, '?name=root', scoped), 403, 'forbidden', /admin token for every tenant/);
    expect((await tokensOf(t)).map((l) => l.name)).toEqual(['acmeAdmin', 'alice', 'carol', 'root']);
  });

  it('creates a token that works at once, lists it without the token, and keeps it across a restart', async () => {
    t = await startLog({ principals: PRINCIPALS });
    await postRecord(t, auditRecord(0, { tenant_id: 'acme' }));
    await postRecord(t, auditRecord(1, { tenant_id: 'globex' }));

    const r = await create(t, { name: 'acme-auditor', role: 'auditor', tenants: ['acme', 'acme', 'initech'] });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const made = r.json as Listed & { token: string };
    expect(made.token).toMatch(/^st_[A-Za-z0-9_-]{43}$/);
    expect(made).toMatchObject({ name: 'acme-auditor', role: 'auditor', tenants: ['acme', 'initech'] });
    expect(made.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(Math.abs(Date.parse(made.created_at) - Date.now())).toBeLessThan(60_000);

    // It reads its tenant's record at once, and the other tenant's record does not exist for it.
    expect((await http(`${t.url}/v1/records/0`, { token: made.token })).status).toBe(200);
    expect((await http(`${t.url}/v1/records/1`, { token: made.token })).status).toBe(404);

    const submitter = (await create(t, { name: 'gateway-2', role: 'submitter' })).json as { token: string };
    expect((await postRecord(t, auditRecord(2), submitter.token)).status).toBe(200);

    const listed = await tokensOf(t);
    expect(listed.find((l) => l.name === 'acme-auditor')).toEqual({
      name: 'acme-auditor',
      role: 'auditor',
      tenants: ['acme', 'initech'],
      created_at: made.created_at,
      fingerprint: made.fingerprint,
    });
    const listing = await http(`${t.url}/v1/tokens`, { token: t.tokens['root']! });
    expect(listing.headers.get('cache-control')).toBe('no-store');
    expect(listing.text).not.toContain(made.token);
    expect(listing.text).not.toContain(t.tokens['root']!);

    const dir = t.dir;
    const root = t.tokens['root']!;
    await t.stop();
    t = await startLog({ dir });
    expect((await http(`${t.url}/v1/records/0`, { token: made.token })).status).toBe(200);
    expect((await tokensOf(t, root)).map((l) => l.name)).toContain('gateway-2');
  });

  it('refuses a bad request saying what is accepted, and creates nothing', async () => {
    t = await startLog({ principals: PRINCIPALS });
    const before = await tokensOf(t);
    const cases: [unknown, RegExp][] = [
      ['{"name":"x","role":"admin"', /JSON|end/i],
      [{ name: 'x' }, /"role" must be one of submitter, auditor, admin/],
      [{ name: 'x', role: 'root' }, /"role" must be one of/],
      [{ role: 'admin' }, /"name" must be a string/],
      [{ name: 'has space', role: 'admin' }, /1 to 64 characters/],
      [{ name: 'x', role: 'admin', scope: 'all' }, /unknown member "scope"/],
      [{ name: 'x', role: 'auditor', tenants: 'acme' }, /"tenants" must be an array/],
      [{ name: 'x', role: 'auditor', tenants: [] }, /at least one tenant/],
      [{ name: 'x', role: 'auditor', tenants: ['bad\u0001tenant'] }, /control characters/],
      [{ name: 'x', role: 'submitter', tenants: ['acme'] }, /submitter token cannot be scoped/],
      [{ name: 'x', role: 'auditor', tenants: Array.from({ length: 257 }, (_, i) => `t${i}`) }, /1 to 256 tenants/],
    ];
    for (const [body, message] of cases) expectError(await create(t, body), 400, 'malformed', message);
    expect(await tokensOf(t)).toEqual(before);
  });

  it('revokes by fingerprint or by name, refused at once; unknown and malformed fingerprints are told apart', async () => {
    t = await startLog({ principals: { ...PRINCIPALS, bob: 'submitter' } });
    const a = (await create(t, { name: 'gw', role: 'submitter' })).json as Listed & { token: string };
    const b = (await create(t, { name: 'gw', role: 'submitter' })).json as Listed & { token: string };
    expect((await postRecord(t, auditRecord(0), a.token)).status).toBe(200);

    const one = await revoke(t, `/${a.fingerprint.slice(0, 8)}`);
    expect(one.status, JSON.stringify(one.json)).toBe(200);
    expect((one.json as { revoked: Listed[] }).revoked).toEqual([{ name: 'gw', role: 'submitter', tenants: null, created_at: a.created_at, fingerprint: a.fingerprint }]);
    expectError(await postRecord(t, auditRecord(1), a.token), 401, 'unauthorized', /unknown or revoked/);
    expect((await postRecord(t, auditRecord(2), b.token)).status).toBe(200);

    const byName = await revoke(t, '?name=gw');
    expect((byName.json as { revoked: Listed[] }).revoked.map((l) => l.fingerprint)).toEqual([b.fingerprint]);
    expectError(await postRecord(t, auditRecord(3), b.token), 401, 'unauthorized', /unknown or revoked/);
    expect((await postRecord(t, auditRecord(4), t.tokens['bob']!)).status).toBe(200);

    expectError(await revoke(t, `/${a.fingerprint}`), 404, 'notFound', /no token has the fingerprint/);
    expectError(await revoke(t, '?name=gw'), 404, 'notFound', /no token has the name "gw"/);
    expectError(await revoke(t, '/xyz1'), 400, 'malformed', /4 to 64 hex digits/);
    expectError(await revoke(t, '/abc'), 400, 'malformed', /4 to 64 hex digits/);
    expectError(await revoke(t, ''), 400, 'malformed', /missing query parameter name/);
    expectError(await revoke(t, '?name=a&name=b'), 400, 'malformed', /given 2 times/);
  });

  it('a fingerprint prefix shared by two tokens is ambiguous and revokes nothing', async () => {
    t = await startLog({ principals: PRINCIPALS });
    const [x, y] = [new Uint8Array(32).fill(0xab), new Uint8Array(32).fill(0xab)];
    y[10] = 0xcd;
    await t.store.putPrincipal(x, { name: 'twin-1', role: 'auditor', createdAt: 1 });
    await t.store.putPrincipal(y, { name: 'twin-2', role: 'auditor', createdAt: 2 });
    await expect(matchTokens(t.store, { fingerprint: 'abab' })).rejects.toThrow(new LogError('malformed', '2 tokens have fingerprints starting with abab; give more digits'));
    // Upper case is accepted; 22 digits reach the first that differs (byte 10 of twin-2's hash).
    expect((await matchTokens(t.store, { fingerprint: 'ABABABABABABABABABABAB' })).map((m) => m.principal.name)).toEqual(['twin-1']);
    expect((await matchTokens(t.store, { fingerprint: 'ababababababababababcd' })).map((m) => m.principal.name)).toEqual(['twin-2']);
  });

  it('never revokes the last admin for every tenant, even when two revocations race', async () => {
    t = await startLog({ principals: PRINCIPALS });
    const root = t.tokens['root']!;
    expectError(await revoke(t, '?name=root'), 409, 'conflict', /last admin token for every tenant/);
    const second = (await create(t, { name: 'root-2', role: 'admin' })).json as Listed & { token: string };
    // Both admins try to revoke each other at once: one wins, the other is refused.
    const [r1, r2] = await Promise.all([revoke(t, '?name=root-2', root), revoke(t, '?name=root', second.token)]);
    expect([r1.status, r2.status].sort()).toEqual([200, 409]);
    const admins = (await tokensOf(t, r1.status === 200 ? root : second.token)).filter((l) => l.role === 'admin' && l.tenants === null);
    expect(admins).toHaveLength(1);
    // The scoped admin does not count: it cannot manage tokens.
    expect((await tokensOf(t, r1.status === 200 ? root : second.token)).some((l) => l.name === 'acmeAdmin')).toBe(true);
  });

  it('logs each change with who made it and the fingerprint, never the token', async () => {
    const lines: string[] = [];
    t = await startLog({ principals: PRINCIPALS, logger: createLogger('info', { write: (l: string) => void lines.push(l) }) });
    const made = (await create(t, { name: 'ops', role: 'auditor' })).json as Listed & { token: string };
    await revoke(t, `/${made.fingerprint}`);
    const changes = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l['msg']).startsWith('token '));
    expect(changes.map((c) => [c['msg'], c['principal'], c['token_name'], c['token_role'], c['fingerprint']])).toEqual([
      ['token created', 'root', 'ops', 'auditor', made.fingerprint],
      ['token revoked', 'root', 'ops', 'auditor', made.fingerprint],
    ]);
    const all = lines.join('');
    expect(all).not.toContain(made.token);
    expect(all).not.toContain(t.tokens['root']!);
  });

  it('sealtrail token create|list|revoke --url drive a serving log', async () => {
    t = await startLog({ principals: PRINCIPALS });
    const root = t.tokens['root']!;
    const created = await run(['token', 'create', '--url', t.url, '--token', root, '--role', 'auditor', '--name', 'remote-aud', '--tenant', 'acme']);
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim().split('\n').pop()!;
    expect(secret).toMatch(/^st_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/created a auditor token for remote-aud reading tenants "acme" \(fingerprint [0-9a-f]{12}\)/);
    expect((await http(`${t.url}/v1/records?event_id=none`, { token: secret })).status).toBe(404);

    const listed = await run(['token', 'list', '--url', t.url, '--token', root, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { name: string; tenants: string[] | null }[];
    expect(rows.find((r) => r.name === 'remote-aud')?.tenants).toEqual(['acme']);
    expect(listed.stdout).not.toContain(secret);

    const table = await run(['token', 'list', '--url', t.url, '--token', root]);
    expect(table.stdout).toMatch(/^remote-aud +auditor +"acme" /m);

    const revoked = await run(['token', 'revoke', '--url', t.url, '--token', root, '--name', 'remote-aud']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked the auditor token [0-9a-f]{12} of remote-aud$/m);
    expect((await http(`${t.url}/v1/records?event_id=none`, { token: secret })).status).toBe(401);

    const refused = await run(['token', 'revoke', '--url', t.url, '--token', root, '--name', 'root']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the log refused (HTTP 409)');
    const wrongRole = await run(['token', 'list', '--url', t.url, '--token', t.tokens['carol']!]);
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.stderr).toContain('HTTP 403');

    // The admin token may come from $SEALTRAIL_TOKEN instead, off the command line.
    const { SEALTRAIL_TOKEN: _, ...without } = process.env;
    const fromEnv = await run(['token', 'list', '--url', t.url, '--json'], { env: { ...without, SEALTRAIL_TOKEN: root } });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect((JSON.parse(fromEnv.stdout) as { name: string }[]).map((r) => r.name)).toContain('root');

    for (const args of [
      ['token', 'list', '--url', t.url],
      ['token', 'list', '--url', t.url, '--token', root, '--data', '/tmp/x'],
      ['token', 'list', '--data', '/tmp/x', '--token', root],
    ]) {
      const r = await run(args, { env: without });
      expect(r.code, args.join(' ')).toBe(2);
    }
  });
});
