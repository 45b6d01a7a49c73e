/**
 * @module
 * `sealtrail export`: evidence export (issue 4 item 6; spec/formats.md §19).
 */
import { ExportError, exportRecords } from '../../client/export.js';
import type { ExportFormat } from '../../client/export.js';
import { FilterError, parseFilter } from '../../client/filter.js';
import { progressBar } from '../progress.js';
import { parse, required, requiredToken, UsageError } from '../usage.js';
import type { Command } from '../usage.js';

const FORMATS: readonly ExportFormat[] = ['json', 'csv', 'bundle'];

export const exportCommand: Command = {
  name: 'export',
  summary: 'export records (JSON Lines, CSV or a verifiable evidence bundle)',
  help: `Usage: sealtrail export --url URL --token TOKEN --format json|csv|bundle --out FILE
                        [--from I] [--to J] [--filter EXPR] [--columns A,B,...]

Exports the records of entries I to J (inclusive; default the whole tree) that the token may read,
streaming: memory does not grow with the number of records. Every record is read with its
inclusion proof in one checkpoint, the log's current GET /checkpoint (with its witness
cosignatures), fetched first.

Formats (spec/formats.md §19):
  json     JSON Lines, one record read per line (as GET /v1/records/{index} answers it, with the
           export's checkpoint): verify-receipt checks any line on its own
  csv      RFC 4180; columns leaf_index, timestamp, submitter, then the record fields of --columns
           or else those of the first record exported; non-string values as JSON text
  bundle   an evidence bundle: a header line with the cosigned checkpoint, one line per record
           with its salts and inclusion proof, an end line; check it with verify-bundle

FILE is written as FILE.partial and renamed once complete. A progress bar is drawn on stderr when
it is a terminal.

Options:
  --url URL          the log's base URL
  --token TOKEN      a token of role auditor or admin (a scoped token exports its tenants only);
                     default: $SEALTRAIL_TOKEN, which keeps it off the command line
  --format FORMAT    json, csv or bundle
  --out FILE         where to write
  --from I, --to J   the first and last entry index (default 0 and the checkpoint's last)
  --filter EXPR      only records matching EXPR: field=value terms joined by AND / OR,
                     e.g. "result=block OR result=escalate"
  --columns A,B,...  csv only: the record fields to give a column each
  -h, --help         show this help`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      url: { type: 'string' },
      token: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      filter: { type: 'string' },
      columns: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const url = required(values.url, '--url');
    const token = requiredToken(values.token);
    const out = required(values.out, '--out');
    const format = required(values.format, '--format') as ExportFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    const from = index(values.from, '--from');
    const to = index(values.to, '--to');
    if (from !== undefined && to !== undefined && to < from) throw new UsageError(`--to ${to} is smaller than --from ${from}`);
    let filter;
    if (values.filter !== undefined) {
      try {
        filter = { expr: values.filter, test: parseFilter(values.filter) };
      } catch (e) {
        if (e instanceof FilterError) throw new UsageError(`--filter: ${e.message}`);
        throw e;
      }
    }
    if (values.columns !== undefined && format !== 'csv') throw new UsageError('--columns applies to --format csv only');
    const columns = values.columns?.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
    if (columns !== undefined && columns.length === 0) throw new UsageError('--columns names no field');

    const progress = progressBar('entries');
    try {
      const summary = await exportRecords({
        url,
        token,
        format,
        out,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(filter === undefined ? {} : { filter }),
        ...(columns === undefined ? {} : { columns }),
        onProgress: (covered, total) => progress.update(covered, total, covered, total),
      });
      progress.finish();
      const range = summary.to < summary.from ? 'no entries (the tree is empty)' : `entries ${summary.from} to ${summary.to}`;
      console.log(
        `exported ${summary.written} record${summary.written === 1 ? '' : 's'} of ${range} of ${summary.origin} ` +
          `(checkpoint of tree size ${summary.treeSize}) as ${format} to ${out}`,
      );
      return 0;
    } catch (e) {
      progress.clear();
      if (e instanceof ExportError) {
        console.error(`sealtrail export: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};

function index(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} must be an entry index (a decimal integer from 0), got ${JSON.stringify(text)}`);
  }
  return Number(text);
}
