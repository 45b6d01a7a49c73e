import { describe, expect, it } from 'vitest';
import { generateCosignerKey, generateSignerKey } from '../note/index.js';
import { ConfigError, parseServeConfig } from './config.js';

const witnessKey = generateCosignerKey('witness.example/w1', () => new Uint8Array(32).fill(1)).verifierKey;
const logKey = generateSignerKey('log.example', () => new Uint8Array(32).fill(2)).verifierKey;

describe('serve --config', () => {
  it('accepts witnesses and the push interval', () => {
    expect(parseServeConfig({ witnesses: [{ url: 'http://127.0.0.1:8090', verifier_key: witnessKey }], witness_push_interval_seconds: 2 })).toEqual({
      witnesses: [{ url: 'http://127.0.0.1:8090', verifierKey: witnessKey }],
      witnessPushIntervalMs: 2000,
    });
    expect(parseServeConfig({})).toEqual({ witnesses: [], witnessPushIntervalMs: 5000 });
  });

  it.each([
    [[], /\(top level\): must be a JSON object/],
    [{ witness: [] }, /witness: unknown key; accepted: witnesses, witness_push_interval_seconds/],
    [{ witnesses: {} }, /witnesses: must be an array/],
    [{ witnesses: [{ url: 'ftp://x', verifier_key: witnessKey }] }, /witnesses\[0\]\.url: must be an http/],
    [{ witnesses: [{ url: 'http://x', verifier_key: logKey }] }, /witnesses\[0\]\.verifier_key: is a log key/],
    [{ witnesses: [{ url: 'http://x', verifier_key: 'nope' }] }, /witnesses\[0\]\.verifier_key: /],
    [{ witnesses: [{ url: 'http://x', verifier_key: witnessKey, extra: 1 }] }, /witnesses\[0\]\.extra: unknown key/],
    [{ witnesses: [{ url: 'http://a', verifier_key: witnessKey }, { url: 'http://b', verifier_key: witnessKey }] }, /same verifier key twice/],
    [{ witness_push_interval_seconds: 0 }, /witness_push_interval_seconds: must be a number/],
  ])('refuses %j naming the bad key', (json, message) => {
    expect(() => parseServeConfig(json, 'c.json')).toThrow(ConfigError);
    expect(() => parseServeConfig(json, 'c.json')).toThrow(message);
  });
});
