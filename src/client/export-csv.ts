/**
 * @module
 * CSV for evidence export (RFC 4180, CRLF line ends). A CSV export cannot take the union of all
 * records' fields without a second pass, so its columns are fixed when it starts: `leaf_index`,
 * `timestamp` (the leaf's time, milliseconds since the Unix epoch, as in a receipt), `submitter`,
 * then one column per record field: those given with `--columns`, or else the fields of the first
 * record written, in its order. A field column is headed by the field's name, or `values.<name>`
 * when the name is one of the three fixed ones. A string value is written as it is, any other value
 * as its JSON text; an absent or erased field leaves the cell empty.
 */
import type { BundleRecord } from './bundle.js';

const FIXED_COLUMNS = ['leaf_index', 'timestamp', 'submitter'] as const;

/** The record fields of the first record, as the columns of a CSV export that was given none. */
export function csvColumnsOf(record: BundleRecord): string[] {
  return [...Object.keys(record.values), ...Object.keys(record.erased ?? {})];
}

export function csvHeader(columns: readonly string[]): string {
  const names = columns.map((name) => ((FIXED_COLUMNS as readonly string[]).includes(name) ? `values.${name}` : name));
  return `${[...FIXED_COLUMNS, ...names].map(cell).join(',')}\r\n`;
}

export function csvRow(record: BundleRecord, columns: readonly string[]): string {
  const cells = [String(record.leaf_index), String(record.timestamp), cell(record.submitter)];
  for (const name of columns) {
    const value = Object.hasOwn(record.values, name) ? record.values[name] : undefined;
    cells.push(value === undefined ? '' : cell(typeof value === 'string' ? value : JSON.stringify(value)));
  }
  return `${cells.join(',')}\r\n`;
}

/** RFC 4180 §2: a cell with a comma, a quote or a line break is quoted, its quotes doubled. */
function cell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
