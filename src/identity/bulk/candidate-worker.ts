import { workerData, type MessagePort } from 'node:worker_threads';
import { candidateChunks, unpack } from './candidate-lists.js';

/**
 * Worker of CandidateLists: works out the candidate chunks in record order and posts each on the
 * port; an error is posted as { error }. A chunk the resolve loop (its record in loopAt) would
 * reach before the chunk is worked out (the loop takes about as long per record) is skipped: the
 * loop searches those records itself, and the worker goes on ahead of it.
 */
const { input, size, loopAt, port } = workerData as {
  input: Parameters<typeof unpack>[0];
  size: number;
  loopAt: Int32Array;
  port: MessagePort;
};
try {
  for (const chunk of candidateChunks(unpack(input), size, () => Atomics.load(loopAt, 0) + size))
    port.postMessage(chunk, [chunk.offsets.buffer, chunk.members.buffer, chunk.codes.buffer]);
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
port.close();
