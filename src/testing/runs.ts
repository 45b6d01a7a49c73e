/**
 * @module
 * How many cases a property test generates, in one place for every property test of the project.
 *
 * The normal suite (`npm test`) runs a few hundred cases per property so that it stays quick on two
 * cores; the long suite (`npm run test:long`, which sets SEALTRAIL_LONG) runs at least 10,000 per
 * parser property (issue #5: "at least 10,000 generated cases per parser in the long suite"). A
 * property whose every case is an HTTP round-trip runs ~100 and ~2,000 cases.
 *
 * Test-only: the build leaves every `testing/` folder out (tsconfig.build.json), and nothing here
 * imports a test framework.
 */

/** True when SEALTRAIL_LONG is set to anything but the empty string. */
export const LONG = process.env['SEALTRAIL_LONG'] !== undefined && process.env['SEALTRAIL_LONG'] !== '';

/** The floor of the long suite for a parser property. */
export const LONG_PARSER_RUNS = 10_000;

/**
 * Cases for a property of a parser (pure, in memory): `normal` in the normal suite, `long` in the
 * long suite. Every parser has its main properties at the default, LONG_PARSER_RUNS; a property
 * whose cases are large (a 1000-record batch) may ask for fewer.
 */
export function parserRuns(normal = 300, long = LONG_PARSER_RUNS): number {
  return LONG ? Math.max(long, normal) : normal;
}

/** Cases for a property whose every case goes over real HTTP to a real server. */
export function httpRuns(normal = 100, long = 2_000): number {
  return LONG ? Math.max(long, normal) : normal;
}

/**
 * A per-test timeout for vitest: undefined (vitest.config.ts allows 60 s) in the normal suite, and
 * `longMs` when SEALTRAIL_LONG is set, since 10,000 cases of a slow property can take minutes.
 */
export function longTimeout(longMs = 20 * 60_000): number | undefined {
  return LONG ? longMs : undefined;
}
