import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { candidateChunks, candidateInput, type CandidateOptions } from './candidate-lists.js';
import { computeFeatures, type FeatureInput } from './record-features.js';

/**
 * Worker of CandidateLists: works out the records' features and keys from the input chunks as
 * they come on inputPort (waiting on `posted` for the next), posts them on featuresPort, then
 * works out the candidate chunks in record order and posts each on port; an error is posted as
 * { error } on the port in use. Once the resolve loop has started (its record in loopAt), a chunk
 * the loop would reach before the chunk is worked out (the loop takes about as long per record) is
 * skipped: the loop searches those records itself, and the worker goes on ahead of it.
 */
const { count, options, size, loopAt, posted, port, featuresPort, inputPort } = workerData as {
  count: number;
  options: CandidateOptions;
  size: number;
  loopAt: Int32Array;
  posted: Int32Array;
  port: MessagePort;
  featuresPort: MessagePort;
  inputPort: MessagePort;
};

function* inputs(): Generator<FeatureInput> {
  for (let taken = 0; ;) {
    const m = receiveMessageOnPort(inputPort);
    if (m) {
      taken++;
      yield m.message as FeatureInput;
    } else Atomics.wait(posted, 0, taken, 1000);
  }
}

let sent = false;
try {
  const features = computeFeatures(count, inputs(), options.blockedValues);
  inputPort.close();
  featuresPort.postMessage(features.snapshot());
  sent = true;
  featuresPort.close();
  const chunks = candidateChunks(candidateInput(features, options), size, () => {
    const at = Atomics.load(loopAt, 0);
    return at < 0 ? 0 : at + size;
  });
  for (const chunk of chunks)
    port.postMessage(chunk, [chunk.offsets.buffer, chunk.members.buffer, chunk.codes.buffer]);
} catch (err) {
  (sent ? port : featuresPort).postMessage({ error: err instanceof Error ? err.message : String(err) });
}
port.close();
