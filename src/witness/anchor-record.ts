/**
 * @module
 * What a witness anchors, and where: the anchor record of PROTOCOL §7 (pinned), the idempotency key
 * that makes its submission to another log happen once, and the identity of a sink.
 *
 * `anchored_at` is an integer, milliseconds since the Unix epoch (UTC), like a receipt's `timestamp`
 * and a leaf's `time` (PROTOCOL §2, §4): one unit of time for every record the project writes, and
 * nothing to parse (no choice of fractional digits or offset as RFC 3339 allows).
 */
import { resolve } from 'node:path';
import { sha256 } from '../util/hash.js';
import { toBase64, toHex, utf8 } from '../util/bytes.js';

/** One configured anchor sink (issue 3, config `anchors`); the witness's config.ts parses these. */
export type AnchorSinkConfig =
  | { readonly type: 'log'; readonly url: string; readonly token: string; readonly verifier_key: string }
  | { readonly type: 'file'; readonly path: string }
  | { readonly type: 'webhook'; readonly url: string };

export type AnchorSinkType = AnchorSinkConfig['type'];

export const ANCHOR_RECORD_TYPE = 'sealtrail.anchor/v1';
export const FORK_ALERT_TYPE = 'sealtrail.fork-alert/v1';

export interface AnchorRecordInput {
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** The checkpoint note with the witness's cosignature. */
  readonly checkpoint: string;
  /** The witness's verifier key. */
  readonly witness: string;
  /** Milliseconds since the Unix epoch. */
  readonly anchoredAt: number;
}

/**
 * The anchor record's JSON text, fields in the order PROTOCOL §7 lists them. The text is made once,
 * stored, and sent byte for byte on every attempt: a log's idempotency check compares records.
 */
export function formatAnchorRecord(input: AnchorRecordInput): string {
  return JSON.stringify({
    type: ANCHOR_RECORD_TYPE,
    origin: input.origin,
    tree_size: input.treeSize,
    root_hash: toBase64(input.rootHash),
    checkpoint: input.checkpoint,
    witness: input.witness,
    anchored_at: input.anchoredAt,
  });
}

/**
 * The `Idempotency-Key` for submitting an anchor to a log (PROTOCOL §5): a digest of what the anchor
 * attests (origin, tree size, root, witness) but not of when, so every retry of one anchor carries
 * the same key. None of the four values can hold a newline (signed-note text rules), so the
 * newline-separated input is unambiguous. 81 visible ASCII characters, within the log's 1..255.
 */
export function anchorIdempotencyKey(origin: string, treeSize: number, rootHash: Uint8Array, witness: string): string {
  const digest = sha256(utf8(`${ANCHOR_RECORD_TYPE}\n${origin}\n${treeSize}\n${toBase64(rootHash)}\n${witness}\n`));
  return `sealtrail-anchor-${toHex(digest)}`;
}

/** A sink as the anchor store remembers it: never its token. */
export interface SinkIdentity {
  /** 16 hex digits; stable across restarts as long as the sink's address does not change. */
  readonly id: string;
  readonly type: AnchorSinkType;
  /** What a person sees in logs and listings; webhook paths and queries are hidden (they often hold secrets). */
  readonly label: string;
}

/**
 * Identifies a sink by its type and address: a log or webhook by URL, a file by absolute path. A
 * log's token and verifier key are left out, so that correcting or rotating either keeps the
 * deliveries that wait for that log.
 */
export function sinkIdentity(sink: AnchorSinkConfig): SinkIdentity {
  let address: string;
  let label: string;
  switch (sink.type) {
    case 'log': {
      const url = new URL(sink.url);
      address = url.href;
      label = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
      break;
    }
    case 'file':
      address = resolve(sink.path);
      label = address;
      break;
    case 'webhook': {
      const url = new URL(sink.url);
      address = url.href;
      label = `${url.protocol}//${url.host}${url.pathname === '/' && url.search === '' ? '' : '/…'}`;
      break;
    }
  }
  const id = toHex(sha256(utf8(`${sink.type}\n${address}`))).slice(0, 16);
  return { id, type: sink.type, label: sink.type === 'webhook' ? `${label} [${id.slice(0, 8)}]` : label };
}

/** `<url>/ct/v1/add-entry` for a log whose base URL may end with a slash or carry a path prefix. */
export function addEntryUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/ct/v1/add-entry`;
}
