import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CodeScores, LevelCache, MAX_BLOCK_SIZE, type LevelCacheSnapshot } from '../matching/index.js';
import { BlockLists, Int32List } from './block-index.js';

/**
 * What the probabilistic candidates of an initial load's records are worked out from: everything
 * the resolve loop's block search reads, as it is before the loop starts.
 */
export interface CandidateInput {
  /** The records' matching features, record n in slot n. */
  cache: LevelCacheSnapshot;
  /** Record n's blocking keys are keys[keyStart[n] .. keyStart[n + 1]) (none: not matched). */
  keys: Int32Array<ArrayBuffer>;
  keyStart: Int32Array<ArrayBuffer>;
  /** Records per key over the whole import: a block of more than MAX_BLOCK_SIZE is never read. */
  blockCount: Int32Array<ArrayBuffer>;
  /** Level weights (levelWeights) the codes are scored with. */
  weights: readonly Float64Array[];
  /** Lowest score of a candidate (the identity config's suggestWeight). */
  threshold: number;
}

/**
 * The candidates of records from .. to - 1: record n's are members[j] with the pair's LevelCache
 * code codes[j], for j in offsets[n - from] .. offsets[n - from + 1] - 1.
 */
export interface CandidateChunk {
  from: number;
  to: number;
  offsets: Int32Array<ArrayBuffer>;
  members: Int32Array<ArrayBuffer>;
  codes: Int32Array<ArrayBuffer>;
}

/**
 * Each record's probabilistic candidates, in chunks of `size` records in record order, as the
 * bulk import's resolve loop finds them when no record's features or keys change on the way:
 * the earlier records sharing an open block with it (blocks in the record's key order, members
 * in the order they joined, each record once), those whose pair scores at least the threshold,
 * with the pair's code. Which customer a record is in by then does not change a pair's code; the
 * loop drops the pairs already in one customer itself.
 * `skipBefore` (for a worker: where the loop will be by the time a chunk is worked out): a chunk
 * starting before it is not worked out (its records only join their blocks) and not given.
 */
export function* candidateChunks(
  input: CandidateInput,
  size: number,
  skipBefore: () => number = () => 0,
): Generator<CandidateChunk> {
  const { keys, keyStart, threshold } = input;
  const count = keyStart.length - 1;
  const cache = new LevelCache(0, input.cache);
  const scores = new CodeScores(input.weights);
  const blocks = new BlockLists();
  blocks.ensure(input.blockCount.length);
  for (let k = 0; k < input.blockCount.length; k++) {
    const c = input.blockCount[k]!;
    if (c <= MAX_BLOCK_SIZE) blocks.reserve(k, c);
    else blocks.close(k);
  }
  blocks.seal();
  const join = (n: number) => {
    for (let j = keyStart[n]!; j < keyStart[n + 1]!; j++)
      if (!blocks.closed(keys[j]!)) blocks.add(keys[j]!, n);
  };
  const seen = new Int32Array(count).fill(-1);
  const members = new Int32List(size * 4);
  const codes = new Int32List(size * 4);
  const consider = (n: number, m: number) => {
    if (seen[m] === n) return;
    seen[m] = n;
    const code = cache.code(n, m);
    if (scores.score(code) >= threshold) {
      members.push(m);
      codes.push(code);
    }
  };
  for (let from = 0; from < count; from += size) {
    const to = Math.min(from + size, count);
    if (skipBefore() > from) {
      for (let n = from; n < to; n++) join(n);
      continue;
    }
    members.length = codes.length = 0;
    const offsets = new Int32Array(to - from + 1);
    for (let n = from; n < to; n++) {
      for (let j = keyStart[n]!; j < keyStart[n + 1]!; j++) {
        const k = keys[j]!;
        if (blocks.closed(k)) continue;
        const runs = blocks.runs;
        for (let e = blocks.runStart(k), end = blocks.runEnd(k); e < end; e++) consider(n, runs[e]!);
        for (let e = blocks.first(k); e >= 0; e = blocks.nextOf(e)) consider(n, blocks.memberOf(e));
      }
      join(n);
      offsets[n - from + 1] = members.length;
    }
    yield {
      from,
      to,
      offsets,
      members: members.data.slice(0, members.length),
      codes: codes.data.slice(0, codes.length),
    };
  }
}

/**
 * The input as a worker gets it: each list of interned values as one string and the lengths of
 * its values (a million short strings cost the sending thread ~0.5 s to clone one by one; one
 * long string is copied at once). The typed arrays are transferred, or shared, not copied.
 */
interface PackedInput extends Omit<CandidateInput, 'cache'> {
  cache: Omit<LevelCacheSnapshot, 'values'> & {
    values: Record<keyof LevelCacheSnapshot['values'], { text: string; lengths: Int32Array<ArrayBuffer> }>;
  };
}

function lengthsOf(list: readonly string[]): Int32Array<ArrayBuffer> {
  const lengths = new Int32Array(list.length);
  for (let i = 0; i < list.length; i++) lengths[i] = list[i]!.length;
  return lengths;
}

function pack(input: CandidateInput): { packed: PackedInput; transfer: ArrayBuffer[] } {
  const values = Object.fromEntries(
    Object.entries(input.cache.values).map(([field, list]) => [
      field,
      { text: list.join(''), lengths: lengthsOf(list) },
    ]),
  ) as PackedInput['cache']['values'];
  const slots = input.cache.slots;
  return {
    packed: { ...input, cache: { ...input.cache, slots, values } },
    transfer: [
      // Slots in shared memory are shared, not transferred.
      ...(slots.buffer instanceof ArrayBuffer ? [slots.buffer] : []),
      input.keys.buffer,
      input.keyStart.buffer,
      input.blockCount.buffer,
      ...Object.values(values).map((v) => v.lengths.buffer),
    ],
  };
}

/** The input a worker was sent (see pack). */
export function unpack(packed: PackedInput): CandidateInput {
  const values = Object.fromEntries(
    Object.entries(packed.cache.values).map(([field, { text, lengths }]) => {
      const list = new Array<string>(lengths.length);
      for (let i = 0, at = 0; i < lengths.length; at += lengths[i]!, i++)
        list[i] = text.slice(at, at + lengths[i]!);
      return [field, list];
    }),
  ) as LevelCacheSnapshot['values'];
  return { ...packed, cache: { ...packed.cache, values } };
}

/** Below this many records the worker (its start, copying the features over) costs more than it saves. */
export const CANDIDATE_WORKER_FROM = 20_000;
/** Records per chunk: a few milliseconds of scoring. */
const CHUNK = 512;

/**
 * An initial load's candidate lists (candidateChunks), worked out ahead of the resolve loop by a
 * worker thread (mode 'worker') or, for tests, by this thread when asked ('in-process').
 * of(n) never waits: a record the worker has not reached yet gets null, and the loop searches
 * its blocks itself, as without lists; the worker then skips the chunks the loop has started.
 * Once the loop changes a record's features or keys (a trip-wire quarantine, an identifier
 * status change) the lists no longer hold: stop() ends them, and the loop searches every later
 * record itself. A worker that fails only ends the lists. Without the compiled worker next to
 * this module (a test run from the sources) mode 'worker' gives no lists.
 */
export class CandidateLists {
  private readonly port: MessagePort | null = null;
  private readonly worker: Worker | null = null;
  private readonly local: Generator<CandidateChunk> | null = null;
  private readonly loopAt = new Int32Array(new SharedArrayBuffer(4));
  private current: CandidateChunk | null = null;
  private stopped = false;
  /** Records whose lists came from the worker or in-process, and records searched by the loop. */
  listed = 0;
  searched = 0;
  failure: string | null = null;

  /** Takes `input`'s typed arrays over (a worker gets them transferred): pass copies. */
  constructor(input: CandidateInput, mode: 'worker' | 'in-process') {
    if (mode === 'in-process') {
      this.local = candidateChunks(input, CHUNK);
      return;
    }
    const workerFile = new URL('./candidate-worker.js', import.meta.url);
    if (!fs.existsSync(fileURLToPath(workerFile))) {
      this.stopped = true;
      return;
    }
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const { packed, transfer } = pack(input);
    this.worker = new Worker(workerFile, {
      workerData: { input: packed, size: CHUNK, loopAt: this.loopAt, port: port2 },
      transferList: [port2, ...transfer],
    });
    this.worker.on('error', (err) => {
      this.failure ??= err.message;
      this.stopped = true;
    });
  }

  /** Record n's chunk, when its list is there (n only grows from call to call). */
  of(n: number): CandidateChunk | null {
    if (this.stopped) return this.miss();
    if (this.worker) Atomics.store(this.loopAt, 0, n);
    while (this.current === null || n >= this.current.to) {
      const next = this.next();
      if (next === null) return this.miss();
      this.current = next;
    }
    if (n < this.current.from) return this.miss();
    this.listed++;
    return this.current;
  }

  /** No more lists: a record's features or keys changed (or the lists are not needed any more). */
  stop(): void {
    this.stopped = true;
    this.current = null;
    this.port?.close();
    void this.worker?.terminate();
  }

  async close(): Promise<void> {
    this.stop();
    await this.worker?.terminate();
  }

  private miss(): null {
    this.searched++;
    return null;
  }

  private next(): CandidateChunk | null {
    if (this.local) {
      const r = this.local.next();
      return r.done ? null : r.value;
    }
    const m = this.port && receiveMessageOnPort(this.port);
    if (!m) return null;
    const message = m.message as CandidateChunk | { error: string };
    if ('error' in message) {
      this.failure ??= message.error;
      this.stop();
      return null;
    }
    return message;
  }
}
