/**
 * @module
 * Poll mode's reads of a log's public endpoints: `GET <url>/checkpoint` (C2SP tlog-tiles) and
 * `GET <url>/ct/v1/get-sth-consistency?first=&second=` (RFC 6962 §4.4, base64 hashes in JSON).
 * Anything but a 200 (network errors, timeouts, any other status) throws LogUnavailable: try again
 * later, never evidence. A 200 consistency answer is the log committing to a proof, well-formed or
 * not. Bodies are read up to a limit, so a hostile URL cannot fill memory.
 */
import { fromBase64, fromUtf8 } from '../util/bytes.js';

export const MAX_CHECKPOINT_BYTES = 64 * 1024;
/** 63 hashes in base64 JSON are under 4 KiB; leave room for whitespace. */
export const MAX_PROOF_BYTES = 64 * 1024;

export class LogUnavailable extends Error {
  override readonly name = 'LogUnavailable';
}

export interface FetchOptions {
  readonly timeoutMs: number;
  /** Aborts the request early (e.g. on SIGTERM). */
  readonly signal?: AbortSignal;
}

/** The consistency endpoint's 200 answer: a well-formed proof, or a body that is none. */
export type ConsistencyAnswer =
  | { readonly kind: 'proof'; readonly proof: readonly Uint8Array[]; readonly encoded: readonly string[] }
  | { readonly kind: 'noProof'; readonly encoded: readonly string[] | null; readonly outcome: string };

/** The log's latest checkpoint note, unverified. Throws LogUnavailable. */
export async function fetchCheckpoint(url: string, options: FetchOptions): Promise<string> {
  const response = await get(`${url}/checkpoint`, options);
  const body = await readLimited(response, MAX_CHECKPOINT_BYTES, 'the checkpoint');
  if (response.status !== 200) throw new LogUnavailable(`GET ${url}/checkpoint answered HTTP ${response.status}: ${preview(body)}`);
  const text = fromUtf8(body);
  if (text === undefined) throw new LogUnavailable(`GET ${url}/checkpoint answered a body that is not UTF-8`);
  return text;
}

/** The log's consistency proof from `first` to `second`. Throws LogUnavailable. */
export async function fetchConsistency(url: string, first: number, second: number, options: FetchOptions): Promise<ConsistencyAnswer> {
  const where = `${url}/ct/v1/get-sth-consistency?first=${first}&second=${second}`;
  const response = await get(where, options);
  const body = await readLimited(response, MAX_PROOF_BYTES, 'the consistency proof');
  // Only a 200 is the log committing to a proof. A 4xx may be a lagging replica or a log without
  // this endpoint (e.g. tiles only): not something to call a fork.
  if (response.status !== 200) throw new LogUnavailable(`GET ${where} answered HTTP ${response.status}: ${preview(body)}`);
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(body) ?? '');
  } catch {
    return { kind: 'noProof', encoded: null, outcome: `HTTP 200 with a body that is not JSON: ${preview(body)}` };
  }
  const list = (json as { consistency?: unknown } | null)?.consistency;
  if (!Array.isArray(list) || !list.every((h): h is string => typeof h === 'string')) {
    return { kind: 'noProof', encoded: null, outcome: 'HTTP 200 without a "consistency" array of base64 strings' };
  }
  const proof: Uint8Array[] = [];
  for (const [index, encoded] of list.entries()) {
    const hash = fromBase64(encoded);
    if (hash === undefined || hash.length !== 32) {
      return { kind: 'noProof', encoded: list, outcome: `consistency[${index}] is not a 32-byte hash in padded standard base64` };
    }
    proof.push(hash);
  }
  return { kind: 'proof', proof, encoded: list };
}

async function get(url: string, options: FetchOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: 'text/plain, application/json' } });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = timeout.aborted ? `no answer within ${options.timeoutMs} ms` : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new LogUnavailable(`GET ${url} failed: ${why}`);
  }
  return response;
}

async function readLimited(response: Response, limit: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    try {
      for await (const chunk of response.body) {
        total += chunk.length;
        if (total > limit) {
          await response.body.cancel().catch(() => undefined);
          throw new LogUnavailable(`${what} from ${response.url} is larger than ${limit} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof LogUnavailable) throw e;
      throw new LogUnavailable(`reading ${what} from ${response.url} failed: ${(e as Error).message}`);
    }
  }
  return Buffer.concat(chunks, total);
}

function preview(body: Uint8Array): string {
  const text = fromUtf8(body.subarray(0, 200)) ?? '(not UTF-8)';
  return JSON.stringify(text.trim());
}
