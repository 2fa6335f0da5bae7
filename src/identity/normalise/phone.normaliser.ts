import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/** Bump when the output for some input changes (e.g. a libphonenumber metadata policy change). */
export const PHONE_NORMALISER_VERSION = 1;

export type PhoneResult = { ok: true; value: string } | { ok: false; error: string };

// "max" metadata validates number ranges (not only lengths) and measured as fast as the default
// metadata here (~18 µs per parse). The cache makes re-seen numbers (bulk imports, call logs)
// nearly free; it is cleared wholesale when full, which is cheaper than LRU bookkeeping.
const CACHE_LIMIT = 20_000;
const cache = new Map<string, PhoneResult>();

/** The key of a result in the cache and in PhoneBatch's results. */
const resultKey = (raw: string, defaultRegion: CountryCode) => `${defaultRegion}|${raw}`;

/**
 * Parse a phone number to E.164 (`+442079460958`). National formats use `defaultRegion`;
 * international prefixes (`+44`, `0044` from GB, `011 44` from US) and `tel:` URIs work.
 * Extensions are dropped: E.164 has none, and the line identifies the person.
 */
export function normalisePhone(raw: string, defaultRegion: CountryCode): PhoneResult {
  const key = resultKey(raw, defaultRegion);
  const hit = known?.get(key) ?? cache.get(key);
  if (hit !== undefined) return hit;
  const result = parsePhone(raw, defaultRegion);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, result);
  return result;
}

/** normalisePhone without the cache: for values parsed once each (PhoneBatch's chunks). */
export function parsePhone(raw: string, defaultRegion: CountryCode): PhoneResult {
  const parsed = raw.trim() === '' ? undefined : parsePhoneNumberFromString(raw, defaultRegion);
  if (parsed === undefined || !parsed.isValid()) {
    return {
      ok: false,
      error: `phone ${JSON.stringify(raw)} is not a valid phone number for region ${defaultRegion} (expected a national number or +<country code><number>)`,
    };
  }
  return { ok: true, value: parsed.number };
}

/** Results of a PhoneBatch being used (see withKnownPhones); keys as in the cache. */
let known: Map<string, PhoneResult> | null = null;

/**
 * Runs `work` (synchronous) with a PhoneBatch's results answering normalisePhone for
 * those values, whatever the cache holds.
 */
export function withKnownPhones<T>(phones: Map<string, PhoneResult>, work: () => T): T {
  known = phones;
  try {
    return work();
  } finally {
    known = null;
  }
}

/** Below this many values a worker costs more (its start, loading the metadata) than it saves. */
const WORKER_FROM = 20_000;
/** Values a thread takes at a time: ~40–140 ms of parsing, so little is parsed twice at the end. */
const CHUNK = 2_000;

/**
 * Phone numbers of a big batch, parsed by this thread and a worker thread together: parsing is the
 * dearest part of normalising a big import (20 to 70 µs a number). Both take chunks in order from
 * one shared counter. `upTo(k)` returns once the first k values are parsed, parsing chunks itself
 * meanwhile, so the caller can go on with the values it has while the worker parses ahead, and
 * neither thread sits idle while the other has work. A chunk the worker has not sent back when
 * every chunk is taken is parsed here too: a worker that is slow or has died delays nothing.
 * `results` holds the first `done` values, in order, keyed as normalisePhone's cache (for
 * withKnownPhones); the results are the same as normalisePhone's one by one. Without the compiled
 * worker next to this module (a test run from the sources) or for few values, all are parsed here.
 */
export class PhoneBatch {
  readonly results = new Map<string, PhoneResult>();
  private readonly parsed: (PhoneResult[] | undefined)[];
  private readonly claims: Int32Array;
  private readonly port: MessagePort | null = null;
  private readonly worker: Worker | null = null;
  private failure: Error | null = null;
  private chunksDone = 0;
  /** Chunks whose answers came from the worker thread first. */
  workerChunks = 0;

  constructor(
    private readonly raws: readonly string[],
    private readonly region: CountryCode,
  ) {
    this.parsed = new Array<PhoneResult[] | undefined>(Math.ceil(raws.length / CHUNK));
    this.claims = new Int32Array(new SharedArrayBuffer(4));
    const workerFile = new URL('./phone-worker.js', import.meta.url);
    if (raws.length >= WORKER_FROM && fs.existsSync(fileURLToPath(workerFile))) {
      const { port1, port2 } = new MessageChannel();
      this.port = port1;
      this.worker = new Worker(workerFile, {
        workerData: { raws, region, claims: this.claims, chunk: CHUNK, port: port2 },
        transferList: [port2],
      });
      this.worker.on('error', (err) => (this.failure ??= err));
    }
  }

  /** How many values, from the first, are parsed and in `results`. */
  get done(): number {
    return Math.min(this.chunksDone * CHUNK, this.raws.length);
  }

  /** Returns when the first `k` values are parsed. */
  upTo(k: number): void {
    while (this.done < k) {
      this.receive();
      if (this.done >= k) break;
      const start = Atomics.add(this.claims, 0, CHUNK);
      // Every chunk taken: the one waited for is the worker's; parse it here as well.
      this.parse(start < this.raws.length ? start : this.chunksDone * CHUNK);
    }
  }

  /** Stops the worker; rejects if it failed (its chunks were parsed here then). */
  async close(): Promise<void> {
    this.port?.close();
    await this.worker?.terminate();
    if (this.failure) throw this.failure;
  }

  private parse(start: number): void {
    const end = Math.min(start + CHUNK, this.raws.length);
    const out: PhoneResult[] = [];
    for (let k = start; k < end; k++) out.push(parsePhone(this.raws[k]!, this.region));
    this.settle(start / CHUNK, out);
  }

  private receive(): void {
    if (!this.port) return;
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
      const { start, results } = m.message as { start: number; results: PhoneResult[] };
      if (this.settle(start / CHUNK, results)) this.workerChunks++;
    }
  }

  /** Keeps a chunk's answers, unless it has them already (parsed by both threads); true if new. */
  private settle(chunk: number, results: PhoneResult[]): boolean {
    if (chunk < this.chunksDone || this.parsed[chunk]) return false;
    this.parsed[chunk] = results;
    while (this.chunksDone < this.parsed.length && this.parsed[this.chunksDone]) {
      const first = this.chunksDone * CHUNK;
      const got = this.parsed[this.chunksDone]!;
      for (let k = 0; k < got.length; k++)
        this.results.set(resultKey(this.raws[first + k]!, this.region), got[k]!);
      this.parsed[this.chunksDone++] = [];
    }
    return true;
  }
}
