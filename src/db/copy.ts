import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { setImmediate as yieldNow } from 'node:timers/promises';
import type { Submittable } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pgClientOf, type Sql } from './sql.js';

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A value as a field of COPY's text format: `\N` for null, backslash escapes for the rest. */
export function copyField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v !== 'string') return String(v);
  return SPECIAL.test(v) ? v.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : v;
}

const PIECE = 1 << 20;

/**
 * Encodes lines into buffers of about 1 MB as they come: the stream is not fed one small string
 * per row, and no long concatenated string has to be flattened and encoded at once.
 */
function* pieces(lines: Iterable<string>): Generator<Buffer> {
  let buf = Buffer.allocUnsafe(PIECE);
  let at = 0;
  for (const line of lines) {
    if (at + line.length * 3 > buf.length) {
      if (at > 0) {
        yield buf.subarray(0, at);
        buf = Buffer.allocUnsafe(PIECE);
        at = 0;
      }
      if (line.length * 3 > buf.length) {
        yield Buffer.from(line, 'utf8');
        continue;
      }
    }
    at += buf.write(line, at, 'utf8');
  }
  if (at > 0) yield buf.subarray(0, at);
}

/** Starts COPY table (columns) FROM STDIN on the transaction's connection of `sql`: its input stream. */
function openCopy(sql: Sql, table: string, columns: readonly string[]): Writable {
  const client = pgClientOf(sql) as { query(q: Submittable): unknown } | undefined;
  if (!client)
    throw new Error(
      `COPY into ${table} needs an Sql made by sqlOf inside a transaction (no connection to stream on)`,
    );
  return client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)) as Writable;
}

/**
 * COPY table (columns) FROM STDIN on the transaction's connection of `sql` (made by sqlOf inside
 * a transaction). `lines` are rows in COPY text format, each ending with a newline (build fields
 * with copyField); they are produced while Postgres reads the earlier ones.
 */
export async function copyIn(
  sql: Sql,
  table: string,
  columns: readonly string[],
  lines: Iterable<string>,
): Promise<void> {
  await pipeline(Readable.from(pieces(lines)), openCopy(sql, table, columns));
}

/** Bytes a CopyWriter buffers ahead of Postgres before write() waits for it. */
const WRITER_BACKLOG = 32 << 20;

/** A COPY ... FROM STDIN left open while rows are produced bit by bit (see copyWriter). */
export interface CopyWriter {
  /**
   * Sends rows (COPY text lines); resolves once the stream can take more. Rows that fail to
   * compute (`lines` throws) cancel the COPY, as abort() does, and the error is thrown on.
   */
  write(lines: Iterable<string>): Promise<void>;
  /** Ends the COPY and waits for Postgres to accept it. */
  end(): Promise<void>;
  /** Cancels the COPY (CopyFail): the statement fails and the transaction must roll back. */
  abort(err: Error): void;
}

/**
 * Opens COPY table (columns) FROM STDIN on the transaction's connection of `sql` and keeps it
 * open: the caller computes rows and writes them in batches, so Postgres stores the first rows
 * while the later ones are still being computed. No other statement may run on the connection
 * until end() (or abort()). `backlog`: bytes buffered ahead of Postgres before write() waits for
 * it (more lets the caller go on while the connection finishes a statement sent before the COPY).
 */
export function copyWriter(
  sql: Sql,
  table: string,
  columns: readonly string[],
  backlog = WRITER_BACKLOG,
): CopyWriter {
  const stream = openCopy(sql, table, columns);
  const done = finished(stream);
  done.catch(() => {}); // observed by end(); kept from being an unhandled rejection meanwhile
  return {
    async write(lines) {
      try {
        for (const piece of pieces(lines)) stream.write(piece);
      } catch (err) {
        stream.destroy(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
      // Let the socket take what it can; wait for Postgres only when far behind (bounded memory).
      if (stream.writableLength > backlog) await once(stream, 'drain');
      else await yieldNow();
    },
    async end() {
      stream.end();
      await done;
    },
    abort(err) {
      stream.destroy(err);
    },
  };
}
