/**
 * TLS (issue 5 item 6; spec/formats.md §22.5) with real processes: `sealtrail serve` and `sealtrail
 * witness serve` on HTTPS with the test-only certificate of test/fixtures/tls (see its README), real
 * TLS clients (TLS 1.2 and 1.3 accepted, 1.1 refused by the server), and the CLI's own clients
 * (export, tail, verify-receipt --url, the log pushing to its witness) trusting the certificate
 * through NODE_EXTRA_CA_CERTS.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmod, copyFile, readFile, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVerifierKey } from '../src/note/index.js';
import { tempDir } from './harness.js';
import { BIN, run } from './process.js';
import type { Ran } from './process.js';

const CERT = fileURLToPath(new URL('./fixtures/tls/cert.pem', import.meta.url));
const FIXTURE_KEY = fileURLToPath(new URL('./fixtures/tls/key.pem', import.meta.url));

/** The environment without NODE_EXTRA_CA_CERTS, or with it set to the test CA. */
function env(trust: boolean): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ignored, ...rest } = process.env;
  return trust ? { ...rest, NODE_EXTRA_CA_CERTS: CERT } : rest;
}

/** The CLI as a process, trusting the test CA (NODE_EXTRA_CA_CERTS) or not. */
function cli(args: string[], trust = false): Promise<Ran> {
  return run(args, { env: env(trust) });
}

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts a server command and resolves with the URL of its "serving … on URL" line. */
function start(args: string[], trust = false): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env(trust), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args[0]} did not start within 20 s:\n${out}`));
    }, 20_000);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving .* on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          output: () => out,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code} before serving:\n${out}`));
    });
  });
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** One HTTPS request trusting `ca` (the test certificate) alone. */
function https(url: string, options: { ca?: Buffer; method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: options.method ?? 'GET', headers: options.headers, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A TLS handshake limited to versions min..max: the protocol agreed, or the error's code. */
function handshake(url: string, ca: Buffer, min: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', max: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    // SECLEVEL=0: OpenSSL 3 would otherwise refuse to offer TLS 1.1 at all, and the test would
    // show the client's refusal instead of the server's.
    const socket = tlsConnect({ host: hostname, port: Number(port), ca, servername: 'localhost', minVersion: min, maxVersion: max, ciphers: 'DEFAULT@SECLEVEL=0' }, () => {
      resolve(socket.getProtocol() ?? 'unknown');
      socket.end();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('TLS', () => {
  let dir: { path: string; remove(): Promise<void> };
  let key: string;
  let ca: Buffer;
  beforeAll(async () => {
    dir = await tempDir('sealtrail-tls-');
    ca = await readFile(CERT);
    // The fixture key is committed with mode 0644, which is refused for a key: serve a 0600 copy.
    key = join(dir.path, 'key.pem');
    await copyFile(FIXTURE_KEY, key);
    await chmod(key, 0o600);
  });
  afterAll(() => dir.remove());

  it('refuses half a TLS setting (usage), a key others can read, and a key that is not the certificate\'s', async () => {
    const data = join(dir.path, 'refusals');
    const half = await cli(['serve', '--data', data, '--addr', '127.0.0.1:0', '--tls-cert', CERT]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/give both --tls-cert FILE and --tls-key FILE to serve HTTPS, or neither to serve HTTP/);
    const halfWitness = await cli(['witness', 'serve', '--data', data, '--config', 'x.json', '--tls-key', key]);
    expect(halfWitness.code).toBe(2);
    expect(halfWitness.stderr).toMatch(/give both --tls-cert FILE and --tls-key FILE/);

    const open = join(dir.path, 'open-key.pem');
    await copyFile(FIXTURE_KEY, open);
    await chmod(open, 0o644);
    const readable = await cli(['serve', '--data', data, '--addr', '127.0.0.1:0', '--tls-cert', CERT, '--tls-key', open]);
    expect(readable.code).toBe(1);
    expect(readable.stderr).toContain(`the TLS private key ${open} can be read by other users (mode 644); run: chmod 600 ${open}`);

    const other = join(dir.path, 'other-key.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await writeFile(other, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const mismatch = await cli(['serve', '--data', data, '--addr', '127.0.0.1:0', '--tls-cert', CERT, '--tls-key', other]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toMatch(/the TLS certificate and key cannot be used: .*key values mismatch/);
  });

  describe('a log and its witness, both on HTTPS', () => {
    let log: Running;
    let witness: Running;
    let auditor: string;
    let submitter: string;
    const logDir = (): string => join(dir.path, 'log');
    const witnessDir = (): string => join(dir.path, 'witness');

    beforeAll(async () => {
      expect((await cli(['init', '--data', logDir(), '--origin', 'tls.example/log'])).code).toBe(0);
      const token = async (role: string, name: string): Promise<string> => (await cli(['token', 'create', '--data', logDir(), '--role', role, '--name', name])).stdout.trimEnd().split('\n').pop()!;
      submitter = await token('submitter', 'gateway');
      auditor = await token('auditor', 'audit');
      const logKey = (await readFile(join(logDir(), 'log.vkey'), 'utf8')).trim();

      expect((await cli(['witness', 'init', '--data', witnessDir(), '--name', 'tls.example/w1'])).code).toBe(0);
      const witnessKey = (await readFile(join(witnessDir(), 'witness.vkey'), 'utf8')).trim();
      const witnessConfig = join(dir.path, 'witness.json');
      await writeFile(witnessConfig, JSON.stringify({ logs: [{ origin: parseVerifierKey(logKey).name, verifier_key: logKey }] }), { mode: 0o600 });
      witness = await start(['witness', 'serve', '--data', witnessDir(), '--config', witnessConfig, '--addr', '127.0.0.1:0', '--tls-cert', CERT, '--tls-key', key]);

      // TLS from the config file, the key's path relative to it; the log trusts the witness's certificate.
      const logConfig = join(dir.path, 'log.json');
      await writeFile(
        logConfig,
        JSON.stringify({ witnesses: [{ url: witness.url, verifier_key: witnessKey }], witness_push_interval_seconds: 0.2, tls: { cert: CERT, key: 'key.pem' } }),
      );
      log = await start(['serve', '--data', logDir(), '--addr', '127.0.0.1:0', '--config', logConfig], true);
    });
    afterAll(async () => {
      expect(await log?.stop()).toBe(0);
      expect(await witness?.stop()).toBe(0);
    });

    it('say https:// in their banners, and answer HTTPS with the CA pinned, with HSTS', async () => {
      expect(log.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(witness.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const sth = await https(`${log.url}/ct/v1/get-sth`, { ca });
      expect(sth.status).toBe(200);
      expect(JSON.parse(sth.text).tree_size).toBe(0);
      expect(sth.headers['strict-transport-security']).toBe('max-age=31536000');
      const health = await https(`${witness.url}/healthz`, { ca });
      expect(health.status).toBe(200);
      expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
      // Without the CA, the certificate is not trusted.
      await expect(https(`${log.url}/ct/v1/get-sth`)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    });

    it('refuse a TLS 1.1 client (the server alerts protocol_version); accept TLS 1.2 and 1.3', async () => {
      for (const url of [log.url, witness.url]) {
        expect(await handshake(url, ca, 'TLSv1.1', 'TLSv1.1')).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
        expect(await handshake(url, ca, 'TLSv1.2', 'TLSv1.2')).toBe('TLSv1.2');
        expect(await handshake(url, ca, 'TLSv1.3', 'TLSv1.3')).toBe('TLSv1.3');
      }
    });

    it("answer their own refusals over TLS, the log's as JSON and the witness's as a text line", async () => {
      const refusal = (url: string): Promise<string> => {
        const { hostname, port } = new URL(url);
        return new Promise((resolve) => {
          let text = '';
          const socket = tlsConnect({ host: hostname, port: Number(port), ca, servername: 'localhost' }, () =>
            socket.write(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`),
          );
          socket.on('data', (d: Buffer) => (text += d.toString()));
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(text));
        });
      };
      const fromLog = await refusal(log.url);
      expect(fromLog).toMatch(/^HTTP\/1\.1 431 [^\r]*\r\nContent-Type: application\/json\r\n/);
      expect(fromLog).toMatch(/\r\nStrict-Transport-Security: max-age=31536000\r\n/);
      expect(fromLog).toMatch(/\r\n\r\n\{"error_code":"headersTooLarge","error_message":"the request line and headers exceed the limit of 16384 bytes; send fewer or shorter headers"\}$/);
      const fromWitness = await refusal(witness.url);
      expect(fromWitness).toMatch(/^HTTP\/1\.1 431 [^\r]*\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
      expect(fromWitness).toMatch(/\r\n\r\nthe request line and headers exceed the limit of 16384 bytes; send fewer or shorter headers\n$/);
    });

    it('give plain HTTP on the TLS port no HTTP answer', async () => {
      const plain = `http://${new URL(log.url).host}/ct/v1/get-sth`;
      const outcome = await new Promise<string>((resolve) => {
        const req = httpGet(plain, (res) => resolve(`answered ${res.statusCode}`));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
      expect(outcome).not.toMatch(/^answered/);
    });

    it('serve the CLI clients over HTTPS with NODE_EXTRA_CA_CERTS: push to the witness, verify-receipt --url, export, tail', async () => {
      const record = JSON.stringify({ event_id: 'tls-1', model: 'gpt-5.1', verdict: 'allow' });
      const submitted = await https(`${log.url}/ct/v1/add-entry`, { ca, method: 'POST', headers: { authorization: `Bearer ${submitter}` }, body: record });
      expect(submitted.status, submitted.text).toBe(200);
      await writeFile(join(dir.path, 'receipt.json'), submitted.text);
      await writeFile(join(dir.path, 'record.json'), record);

      // The log pushes its checkpoints to the witness over HTTPS: the cosigned checkpoint comes back.
      let checkpoint = '';
      const cosignedAtOne = (text: string): boolean => text.startsWith('tls.example/log\n1\n') && text.includes('— tls.example/w1 ');
      for (let i = 0; i < 100 && !cosignedAtOne(checkpoint); i++) {
        if (i > 0) await sleep(100);
        checkpoint = (await https(`${log.url}/checkpoint`, { ca })).text;
      }
      expect(checkpoint).toMatch(/^tls\.example\/log\n1\n/);
      expect(checkpoint).toContain('— tls.example/w1 ');

      const verify = ['verify-receipt', '--vkey', join(logDir(), 'log.vkey'), '--witness', join(witnessDir(), 'witness.vkey'), '--url', log.url, join(dir.path, 'receipt.json'), join(dir.path, 'record.json')];
      const verified = await cli(verify, true);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(/OK: witnessed by 1 of 1 witnesses \(tls\.example\/w1\)/);
      const untrusted = await cli(verify, false);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/DEPTH_ZERO_SELF_SIGNED_CERT.*NODE_EXTRA_CA_CERTS/);

      const bundle = join(dir.path, 'out.bundle');
      const exported = await cli(['export', '--url', log.url, '--token', auditor, '--format', 'bundle', '--out', bundle], true);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stdout).toMatch(/^exported 1 record of entries 0 to 0 of tls\.example\/log/);
      const verifiedBundle = await cli(['verify-bundle', bundle, '--vkey', join(logDir(), 'log.vkey')]);
      expect(verifiedBundle.code, verifiedBundle.stderr).toBe(0);
      const exportUntrusted = await cli(['export', '--url', log.url, '--token', auditor, '--format', 'json', '--out', join(dir.path, 'x.jsonl')], false);
      expect(exportUntrusted.code).toBe(1);
      expect(exportUntrusted.stderr).toMatch(/NODE_EXTRA_CA_CERTS/);
      expect(exportUntrusted.stderr).not.toContain(auditor);

      const tail = spawn(process.execPath, [BIN, 'tail', '--url', log.url, '--token', auditor], { env: env(true), stdio: ['ignore', 'pipe', 'pipe'] });
      let tailOut = '';
      tail.stdout.on('data', (d: Buffer) => (tailOut += d.toString()));
      tail.stderr.on('data', (d: Buffer) => (tailOut += d.toString()));
      const tailExit = new Promise<number | null>((r) => tail.on('exit', (code) => r(code)));
      for (let i = 0; i < 100 && !/^checkpoint /m.test(tailOut); i++) await sleep(100);
      expect((await https(`${log.url}/ct/v1/add-entry`, { ca, method: 'POST', headers: { authorization: `Bearer ${submitter}` }, body: '{"event_id":"tls-2"}' })).status).toBe(200);
      for (let i = 0; i < 100 && !/^record .*event_id="tls-2"/m.test(tailOut); i++) await sleep(100);
      tail.kill('SIGTERM');
      expect(await tailExit).toBe(0);
      expect(tailOut).toMatch(/^record .* leaf_index=1 submitter=gateway .*event_id="tls-2"/m);
    });
  });
});
