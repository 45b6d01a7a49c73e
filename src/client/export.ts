/**
 * @module
 * Evidence export (issue 4 item 6): pages through a log's records and writes them as JSON Lines,
 * CSV or an evidence bundle (`spec/formats.md` §19), with constant memory: at most two pages of
 * 1000 records are held (the one being written and the next one being fetched).
 *
 * The export is pinned to one checkpoint: it first fetches `GET /checkpoint` (which carries the
 * witness cosignatures when the log has witnesses), then asks every page for proofs in that
 * checkpoint's tree (`GET /v1/records?start&end&tree_size`).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { parseCheckpoint } from '../note/index.js';
import { BUNDLE_END_TYPE, BUNDLE_TYPE } from './bundle.js';
import type { BundleEnd, BundleHeader, BundleRecord } from './bundle.js';
import type { Filter } from './filter.js';
import { csvHeader, csvRow, csvColumnsOf } from './export-csv.js';
import { describeFetchFailure } from './fetch-error.js';

export type ExportFormat = 'json' | 'csv' | 'bundle';

export interface ExportOptions {
  /** The log's base URL. */
  readonly url: string;
  /** A token of role auditor or admin. */
  readonly token: string;
  readonly format: ExportFormat;
  readonly out: string;
  /** Entry indices, inclusive; default the whole tree of the checkpoint. */
  readonly from?: number;
  readonly to?: number;
  readonly filter?: { readonly expr: string; readonly test: Filter };
  /** CSV: the record fields to give a column each (default: the fields of the first record written). */
  readonly columns?: readonly string[];
  /** Called after each page with the indices covered so far, the total to cover and the records written. */
  readonly onProgress?: (covered: number, total: number, written: number) => void;
}

export interface ExportSummary {
  readonly origin: string;
  readonly treeSize: number;
  readonly from: number;
  readonly to: number;
  /** Records written (in scope and matching the filter). */
  readonly written: number;
}

/** A failure the user can act on: a refused request, a range beyond the tree, a broken answer. */
export class ExportError extends Error {
  override readonly name = 'ExportError';
}

interface RangeAnswer {
  readonly start: number;
  readonly end: number;
  readonly records: readonly BundleRecord[];
}

export async function exportRecords(options: ExportOptions): Promise<ExportSummary> {
  const base = options.url.replace(/\/+$/, '');
  const note = await fetchText(`${base}/checkpoint`);
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1));
  } catch (e) {
    throw new ExportError(`${base}/checkpoint did not answer a checkpoint: ${(e as Error).message}`);
  }
  const log = JSON.parse(await fetchText(`${base}/v1/log`)) as { origin?: string; verifier_key?: string };
  const treeSize = checkpoint.size;
  const from = options.from ?? 0;
  const to = options.to ?? treeSize - 1;
  if (to >= treeSize) throw new ExportError(`--to ${to} is beyond the checkpoint's tree (size ${treeSize}, last index ${treeSize - 1})`);
  if (from > to && !(options.from === undefined && options.to === undefined)) throw new ExportError(`--from ${from} is after --to ${to}`);
  const total = Math.max(to - from + 1, 0);

  // Written to OUT.partial and renamed at the end, so that OUT exists only once complete.
  const partial = `${options.out}.partial`;
  const stream = createWriteStream(partial);
  const closed = once(stream, 'close');
  closed.catch(() => undefined); // awaited below; this only keeps an early error from going unhandled
  const write = async (text: string): Promise<void> => {
    // events.once rejects if the stream emits 'error' while this waits.
    if (!stream.write(text)) await once(stream, 'drain');
  };
  let written = 0;
  try {
    const line = lineWriter(options, write);
    if (options.format === 'bundle') {
      const header: BundleHeader = {
        type: BUNDLE_TYPE,
        origin: checkpoint.origin,
        verifier_key: log.verifier_key ?? '',
        checkpoint: note,
        tree_size: treeSize,
        from,
        to,
        filter: options.filter?.expr ?? null,
      };
      await write(`${JSON.stringify(header)}\n`);
    }
    const fetchPage = (start: number): Promise<RangeAnswer> =>
      fetchJson<RangeAnswer>(`${base}/v1/records?start=${start}&end=${to}&tree_size=${treeSize}`, options.token);
    let next = total > 0 ? fetchPage(from) : undefined;
    while (next) {
      const page = await next;
      if (!Number.isSafeInteger(page.end) || page.end < page.start || !Array.isArray(page.records)) {
        throw new ExportError('the log answered a range read without start, end and records');
      }
      // Fetch the next page while this one is written.
      next = page.end < to ? fetchPage(page.end + 1) : undefined;
      next?.catch(() => undefined); // a failure surfaces at the await above
      for (const record of page.records) {
        if (options.filter && !options.filter.test(record.values)) continue;
        await line(record, note);
        written++;
      }
      options.onProgress?.(page.end - from + 1, total, written);
    }
    if (options.format === 'bundle') {
      const end: BundleEnd = { type: BUNDLE_END_TYPE, records: written };
      await write(`${JSON.stringify(end)}\n`);
    } else if (options.format === 'csv' && written === 0) {
      await write(csvHeader(options.columns ?? []));
    }
    stream.end();
    await closed;
    await rename(partial, options.out);
  } catch (e) {
    stream.destroy();
    await closed.catch(() => undefined);
    await rm(partial, { force: true });
    throw e;
  }
  return { origin: checkpoint.origin, treeSize, from, to, written };
}

/** The function that writes one record in the chosen format. */
function lineWriter(options: ExportOptions, write: (text: string) => Promise<void>): (record: BundleRecord, note: string) => Promise<void> {
  switch (options.format) {
    case 'bundle':
      return (record) => write(`${JSON.stringify(record)}\n`);
    case 'json':
      // Each line is a whole record read, as GET /v1/records/{index} answers it (with the export's
      // checkpoint), so verify-receipt checks any single line on its own.
      return (record, note) => write(`${JSON.stringify({ ...record, checkpoint: note })}\n`);
    case 'csv': {
      let columns: readonly string[] | undefined = options.columns;
      let headerWritten = false;
      return async (record) => {
        columns ??= csvColumnsOf(record);
        if (!headerWritten) {
          headerWritten = true;
          await write(csvHeader(columns));
        }
        await write(csvRow(record, columns));
      };
    }
  }
}

async function fetchText(url: string, token?: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw new ExportError(`cannot fetch ${url}: ${describeFetchFailure(e)}`);
  }
  const text = await res.text();
  if (res.status !== 200) throw new ExportError(`${url} answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

async function fetchJson<T>(url: string, token: string): Promise<T> {
  const text = await fetchText(url, token);
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ExportError(`${url} did not answer JSON: ${(e as Error).message}`);
  }
}
