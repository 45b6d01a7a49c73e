/**
 * Hostile `sealtrail serve --config` files (src/cli/config.ts), as properties (issue #5): any JSON
 * value, near-valid configurations with one part broken, and prototype keys give a configuration or
 * a ConfigError naming the key, never another exception, and touch no prototype.
 *
 * SEALTRAIL_LONG=1 runs at least 10,000 cases per property (src/testing/runs.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosignerFromSeed, formatVerifierKey } from '../note/index.js';
import { assertPrototypesUntouched, outcome } from '../testing/hostile.js';
import { Choices, Obj, spell, valueArb, type Json } from '../testing/json-model.js';
import { longTimeout, parserRuns } from '../testing/runs.js';
import { ConfigError, parseServeConfig } from './config.js';

const timeout = longTimeout();
const witness = cosignerFromSeed('witness.example/w1', new Uint8Array(32).fill(5));
const WITNESS_KEY = formatVerifierKey(witness.name, 4, witness.publicKey);

/** A value for one key: usually right, sometimes anything at all. */
const either = (right: fc.Arbitrary<Json>) => fc.oneof({ arbitrary: right, weight: 3 }, { arbitrary: valueArb(2, 3), weight: 1 });
const witnessArb = fc
  .tuple(either(fc.constantFrom('http://w.example', 'https://w.example:8090/x', 'ftp://w', 'http://', 'http://a b')), either(fc.constantFrom(WITNESS_KEY, WITNESS_KEY.replace('+', '-'), 'log+00000000+AQ==')), fc.option(fc.constantFrom('__proto__', 'constructor', 'extra'), { nil: undefined }))
  .map(([url, key, extra]) => new Obj([['url', url], ['verifier_key', key], ...(extra ? ([[extra, 1]] as const) : [])]));
const retentionArb = fc
  .tuple(either(fc.constantFrom('category', '')), either(fc.constant(new Obj([['normal', '1y'], ['__proto__', '7y']]))), either(fc.constantFrom('3y', '0d', '1001y', '90d')), either(fc.constantFrom(1, 3600, 604801, 0.5)), either(fc.constantFrom(1, 100, 100_001, 1.5)))
  .map(([field, periods, def, interval, max]) => new Obj([['field', field], ['periods', periods], ['default', def], ['interval_seconds', interval], ['max_erasures_per_run', max]]));
const configArb = fc
  .tuple(fc.array(witnessArb, { maxLength: 3 }), either(fc.constantFrom(0.1, 5, 3600, 0.05, 3601, -1)), fc.option(retentionArb, { nil: undefined }), fc.option(fc.constantFrom('__proto__', 'constructor', 'witness'), { nil: undefined }))
  .map(([witnesses, interval, retention, extra]) => {
    const members: [string, Json][] = [['witnesses', witnesses], ['witness_push_interval_seconds', interval]];
    if (retention) members.push(['retention', retention]);
    if (extra) members.push([extra, new Obj([['polluted', true]])]);
    return new Obj(members);
  });

describe('parseServeConfig', () => {
  it(
    'gives a configuration or a ConfigError that names the key, for any JSON text, and touches no prototype',
    () => {
      fc.assert(
        fc.property(fc.oneof(configArb, valueArb(3, 4)), fc.integer(), (value, seed) => {
          // JSON.parse, as loadServeConfig reads the file: own properties, __proto__ included.
          const json = JSON.parse(spell(value, new Choices(seed))) as unknown;
          const result = outcome(() => parseServeConfig(json, 'serve.json'), ConfigError);
          if (result.ok) {
            expect(result.value.witnessPushIntervalMs).toBeGreaterThanOrEqual(100);
            for (const w of result.value.witnesses) expect(w.verifierKey).toBe(WITNESS_KEY);
          } else {
            // `serve.json: <key>: <problem>` (the key may be any text, even empty).
            expect(result.error.message).toMatch(/^serve\.json: .*: \S/s);
          }
          assertPrototypesUntouched();
        }),
        { numRuns: parserRuns(300) },
      );
    },
    timeout,
  );

  it('refuses prototype keys as the unknown keys they are', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const top = JSON.parse(`{"${key}": {"polluted": true}}`) as unknown;
      expect(() => parseServeConfig(top, 'c')).toThrow(`c: ${key}: unknown key; accepted: witnesses, witness_push_interval_seconds, retention`);
      const nested = JSON.parse(`{"witnesses": [{"url": "http://w", "verifier_key": "${WITNESS_KEY}", "${key}": 1}]}`) as unknown;
      expect(() => parseServeConfig(nested, 'c')).toThrow(`c: witnesses[0].${key}: unknown key; accepted: url, verifier_key`);
    }
    assertPrototypesUntouched();
  });
});
