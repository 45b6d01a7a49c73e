import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCosignerKey, generateSignerKey } from '../note/index.js';
import { ConfigError, loadWitnessConfig, parseWitnessConfig } from './config.js';

const rand = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const logKey = (name: string): string => generateSignerKey(name, rand).verifierKey;
const A = { origin: 'a.example/log', verifier_key: logKey('a.example/log'), url: 'http://127.0.0.1:8080/' };
const B = { origin: 'b.example/log', verifier_key: logKey('b.example/log') };

function refusal(config: unknown): string {
  try {
    parseWitnessConfig(config);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('witness configuration', () => {
  it('accepts a full configuration, with defaults for what is left out', () => {
    const config = parseWitnessConfig({
      logs: [A, B],
      anchors: [
        { type: 'log', url: 'https://anchor.example', token: 'st_abc', verifier_key: logKey('anchor.example/log') },
        { type: 'file', path: '/var/lib/anchors.jsonl' },
        { type: 'webhook', url: 'https://hooks.example/fork' },
      ],
      anchor_every_entries: 5,
    });
    expect(config.logs.map((l) => l.origin)).toEqual([A.origin, B.origin]);
    expect(config.logs[0]!.url).toBe('http://127.0.0.1:8080');
    expect(config.logs[1]!.url).toBeUndefined();
    expect(config.logs[0]!.verifier.name).toBe(A.origin);
    expect(config.anchors.map((a) => a.type)).toEqual(['log', 'file', 'webhook']);
    expect(config.anchor_every_entries).toBe(5);
    expect(config.anchor_every_seconds).toBe(600);
    expect(parseWitnessConfig({ logs: [B] }).anchors).toEqual([]);
  });

  it('names the bad key in every refusal', () => {
    const cases: [unknown, RegExp][] = [
      [[], /^the configuration must be a JSON object/],
      [{}, /^logs: is required/],
      [{ logs: [] }, /^logs: must be a non-empty array/],
      [{ logs: [A], witnesses: [] }, /^witnesses: unknown key/],
      [{ logs: [A, { ...B, verifier_key: 'nonsense' }] }, /^logs\[1\]\.verifier_key: /],
      [{ logs: [A, { ...B, verifier_key: A.verifier_key }] }, /^logs\[1\]\.verifier_key: the key is named "a\.example\/log", not the origin "b\.example\/log"/],
      [{ logs: [{ ...B, verifier_key: generateCosignerKey('b.example/log', rand).verifierKey }] }, /^logs\[0\]\.verifier_key: is a key of type 0x04/],
      [{ logs: [{ ...B, origin: undefined }] }, /^logs\[0\]\.origin: is required/],
      [{ logs: [{ ...B, origin: 7 }] }, /^logs\[0\]\.origin: must be a non-empty string/],
      [{ logs: [{ ...B, extra: 1 }] }, /^logs\[0\]\.extra: unknown key/],
      [{ logs: [A, A] }, /^logs\[1\]\.origin: .* is already configured as logs\[0\]/],
      [{ logs: [{ ...A, url: 'ftp://x' }] }, /^logs\[0\]\.url: must be an http/],
      [{ logs: [{ ...A, url: 'http://x/?a=1' }] }, /^logs\[0\]\.url: must not have a query/],
      [{ logs: [{ ...A, url: 'not a url' }] }, /^logs\[0\]\.url: .* is not a URL/],
      [{ logs: [A], anchors: {} }, /^anchors: must be an array/],
      [{ logs: [A], anchors: [{ type: 'email' }] }, /^anchors\[0\]\.type: must be "log", "file" or "webhook"/],
      [{ logs: [A], anchors: [{ type: 'file' }] }, /^anchors\[0\]\.path: is required/],
      [{ logs: [A], anchors: [{ type: 'file', path: 'x', mode: 1 }] }, /^anchors\[0\]\.mode: unknown key/],
      [{ logs: [A], anchors: [{ type: 'webhook', url: 'x' }] }, /^anchors\[0\]\.url: /],
      [{ logs: [A], anchors: [{ type: 'log', url: 'http://x', verifier_key: logKey('x') }] }, /^anchors\[0\]\.token: is required/],
      [{ logs: [A], anchors: [{ type: 'log', url: 'http://x', token: 'a b', verifier_key: logKey('x') }] }, /^anchors\[0\]\.token: must be visible ASCII/],
      [{ logs: [A], anchors: [{ type: 'log', url: 'http://x', token: 't' }] }, /^anchors\[0\]\.verifier_key: is required/],
      [{ logs: [A], anchors: [{ type: 'log', url: 'http://x', token: 't', verifier_key: 'x+1+2' }] }, /^anchors\[0\]\.verifier_key: /],
      [{ logs: [A], anchor_every_entries: 0 }, /^anchor_every_entries: must be a positive integer/],
      [{ logs: [A], anchor_every_seconds: 1.5 }, /^anchor_every_seconds: must be a positive integer/],
      [{ logs: [A], anchor_every_seconds: '600' }, /^anchor_every_seconds: must be a positive integer/],
    ];
    for (const [config, message] of cases) expect(refusal(config)).toMatch(message);
  });

  it('refuses a repeated anchor sink, naming it; a webhook URL may carry a query (its secret)', () => {
    expect(refusal({ logs: [A], anchors: [{ type: 'file', path: 'a.jsonl' }, { type: 'file', path: 'a.jsonl' }] })).toMatch(/^anchors\[1\]: repeats anchors\[0\]/);
    expect(refusal({ logs: [A], anchors: [{ type: 'webhook', url: 'http://h/x' }, { type: 'webhook', url: 'http://h/x' }] })).toMatch(/^anchors\[1\]: repeats anchors\[0\]/);
    const config = parseWitnessConfig({ logs: [A], anchors: [{ type: 'webhook', url: 'https://hooks.example/in?key=s3cret' }] });
    expect(config.anchors[0]).toEqual({ type: 'webhook', url: 'https://hooks.example/in?key=s3cret' });
    expect(refusal({ logs: [{ ...A, url: 'http://127.0.0.1:8080/?x=1' }] })).toMatch(/query/);
  });

  it('refuses a file that is not JSON, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealtrail-config-'));
    try {
      await writeFile(join(dir, 'bad.json'), '{"logs": [');
      await expect(loadWitnessConfig(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json is not valid JSON/);
      await writeFile(join(dir, 'good.json'), JSON.stringify({ logs: [B] }));
      expect((await loadWitnessConfig(join(dir, 'good.json'))).logs).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
