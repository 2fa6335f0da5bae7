import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The scheduling priority (nice) a load generator gets when the OS allows it. */
export const GENERATOR_NICE = -10;

/**
 * Forks an open-loop load generator and raises its scheduling priority when permitted. On this
 * 2-core machine the hub, Postgres and the generator share the cores; a client on a machine of its
 * own is never late because the hub is busy. Without the raise the generator sent late (7-33 ms
 * seen) and the lateness counted as the hub's latency. When the raise is refused (not root, no
 * CAP_SYS_NICE) the bench says so on stderr and the generator runs at the default priority.
 */
export function forkGenerator(moduleUrl: URL, options: ForkOptions = { stdio: 'inherit' }): ChildProcess {
  const child = fork(fileURLToPath(moduleUrl), [], options);
  try {
    if (child.pid !== undefined) os.setPriority(child.pid, GENERATOR_NICE);
  } catch {
    process.stderr.write(`note: the load generator runs at the default priority (raising it to nice ${GENERATOR_NICE} was refused)\n`);
  }
  return child;
}
