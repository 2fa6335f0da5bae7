import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CodeScores, MAX_BLOCK_SIZE, type LevelCache } from '../matching/index.js';
import { BlockLists, Int32List } from './block-index.js';
import {
  computeFeatures,
  RecordFeatures,
  type FeatureInput,
  type RecordFeaturesSnapshot,
} from './record-features.js';

/** What the candidates are worked out from: the records' features and keys before the loop starts. */
export interface CandidateInput {
  /** The records' matching features, record n in slot n. */
  cache: LevelCache;
  /** Record n's blocking keys are keys[keyStart[n] .. keyStart[n + 1]) (none: not matched). */
  keys: Int32Array;
  keyStart: Int32Array;
  /** Records per key over the whole import: a block of more than MAX_BLOCK_SIZE is never read. */
  blockCount: Int32Array;
  /** Level weights (levelWeights) the codes are scored with. */
  weights: readonly Float64Array[];
  /** Lowest score of a candidate (the identity config's suggestWeight). */
  threshold: number;
}

/** The candidates' input from finished record features. */
export function candidateInput(features: RecordFeatures, options: CandidateOptions): CandidateInput {
  return {
    cache: features.levelCache,
    keys: features.recKeys.data.subarray(0, features.recKeys.length),
    keyStart: features.recKeyStart,
    blockCount: features.blockCount.data.subarray(0, features.blockCount.length),
    weights: options.weights,
    threshold: options.threshold,
  };
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
  const { cache, keys, keyStart, threshold } = input;
  const count = keyStart.length - 1;
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

/** Below this many records the worker (its start, sending the features back) costs more than it saves. */
export const CANDIDATE_WORKER_FROM = 20_000;
/** Records per chunk: a few milliseconds of scoring. */
const CHUNK = 512;

/** What the worker is told besides the records. */
export interface CandidateOptions {
  /** The identity config's blocked values (see guardStatus). */
  blockedValues: readonly string[];
  weights: readonly Float64Array[];
  /** The identity config's suggestWeight. */
  threshold: number;
}

/**
 * An initial load's matching features and candidate lists, worked out by a worker thread while
 * the import goes on (mode 'worker') or, for tests, by this thread ('in-process'; the features
 * cross no thread but go through the same snapshot).
 *
 * The worker works the records' features and blocking keys out (computeFeatures) from the input
 * this thread adds in chunks while it loads the identifiers, sends them back (features()), and
 * goes on to the candidate lists
 * (candidateChunks), ahead of the resolve loop. of(n) never waits: a record the worker has not
 * reached yet gets null, and the loop searches its blocks itself; the worker then skips the
 * chunks the loop has started. Once the loop changes a record's features or keys (a trip-wire
 * quarantine) the lists no longer hold: stop() ends them, and the loop searches every later record
 * itself. A worker that fails only costs its work: features() works them out here then, and the
 * loop searches every record. Without the compiled worker next to this module (a test run from
 * the sources) mode 'worker' works the features out here and gives no lists.
 */
export class CandidateLists {
  private readonly port: MessagePort | null = null;
  private readonly featuresPort: MessagePort | null = null;
  private readonly inputPort: MessagePort | null = null;
  /** Chunks of input posted to the worker (it waits on this while it has none to take). */
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  /** The input chunks given (worked out here in-process, or when the worker failed). */
  private readonly inputs: FeatureInput[] = [];
  private readonly worker: Worker | null = null;
  private local: Generator<CandidateChunk> | null = null;
  /** The record the loop asked for last; -1 before the loop starts. */
  private readonly loopAt = new Int32Array(new SharedArrayBuffer(4)).fill(-1);
  private current: CandidateChunk | null = null;
  private stopped = false;
  /** Records whose lists were there when the loop came to them. */
  listed = 0;

  /** `count` records, their input given with add() in record order. */
  constructor(
    private readonly count: number,
    private readonly options: CandidateOptions,
    private readonly mode: 'worker' | 'in-process',
  ) {
    const workerFile = new URL('./candidate-worker.js', import.meta.url);
    if (mode === 'in-process' || !fs.existsSync(fileURLToPath(workerFile))) {
      this.stopped = mode !== 'in-process';
      return;
    }
    const chunks = new MessageChannel();
    const features = new MessageChannel();
    const input = new MessageChannel();
    this.port = chunks.port1;
    this.featuresPort = features.port1;
    this.inputPort = input.port1;
    this.worker = new Worker(workerFile, {
      workerData: {
        count,
        options,
        size: CHUNK,
        loopAt: this.loopAt,
        posted: this.posted,
        port: chunks.port2,
        featuresPort: features.port2,
        inputPort: input.port2,
      },
      transferList: [chunks.port2, features.port2, input.port2],
    });
    // A failed worker only ends the lists (features() works the features out here then).
    this.worker.on('error', () => (this.stopped = true));
  }

  /**
   * The next records' input (featureInput), in record order: the worker works their features out
   * while this thread goes on.
   */
  add(input: FeatureInput): void {
    // Kept (copied to the worker, not transferred): without the worker's features, this thread
    // works them out from it.
    this.inputs.push(input);
    if (!this.inputPort) return;
    this.inputPort.postMessage(input);
    Atomics.add(this.posted, 0, 1);
    Atomics.notify(this.posted, 0);
  }

  /**
   * The records' features, from the worker (waiting for them) or, without one, worked out here
   * from the input given. Call once, after the last add() and before of().
   */
  async features(): Promise<RecordFeatures> {
    if (this.worker && this.featuresPort) {
      const port = this.featuresPort;
      const worker = this.worker;
      const sent = await new Promise<RecordFeaturesSnapshot | null>((resolve) => {
        port.once('message', (m: RecordFeaturesSnapshot | { error: string }) =>
          resolve('error' in m ? null : m),
        );
        worker.once('error', () => resolve(null));
        worker.once('exit', () => resolve(null));
      });
      port.close();
      if (sent) {
        this.inputs.length = 0;
        return new RecordFeatures(this.count, 0, sent);
      }
      this.stop();
    }
    const features = computeFeatures(this.count, this.inputs, this.options.blockedValues);
    if (this.mode !== 'in-process') return features;
    // In-process: the loop gets the features through a snapshot, as from a worker, and the lists
    // are worked out from the ones computed here.
    this.local = candidateChunks(candidateInput(features, this.options), CHUNK);
    return new RecordFeatures(this.count, 0, structuredClone(features.snapshot()));
  }

  /** Record n's chunk, when its list is there (n only grows from call to call). */
  of(n: number): CandidateChunk | null {
    if (this.stopped) return null;
    if (this.worker) Atomics.store(this.loopAt, 0, n);
    while (this.current === null || n >= this.current.to) {
      const next = this.next();
      if (next === null) return null;
      this.current = next;
    }
    if (n < this.current.from) return null;
    this.listed++;
    return this.current;
  }

  /** No more lists: a record's features or keys changed (or the lists are not needed any more). */
  stop(): void {
    this.stopped = true;
    this.current = null;
    this.local = null;
    this.port?.close();
    this.featuresPort?.close();
    this.inputPort?.close();
    void this.worker?.terminate();
  }

  async close(): Promise<void> {
    this.stop();
    await this.worker?.terminate();
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
      this.stop();
      return null;
    }
    return message;
  }
}
