import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The scheduling priority (nice) the processes of external parties get when the OS allows it. */
export const EXTERNAL_NICE = -10;

/**
 * Forks a process that stands for an external party of the hub (a load generator, a remote
 * source) and raises its scheduling priority when permitted. On this 2-core machine the hub,
 * Postgres and such processes share the cores; a client or a remote system on a machine of its own
 * is never late because the hub is busy. Without the raise, an open-loop generator sends late
 * (7-33 ms seen) and the lateness counts as the hub's latency. `priorityRaised` says if it worked.
 * `nice` 0 leaves the process at the default priority (used for the live-fields sources).
 */
export function forkExternal(
  moduleUrl: URL,
  args: string[] = [],
  options: ForkOptions = { stdio: 'inherit' },
  nice = EXTERNAL_NICE,
): { child: ChildProcess; priorityRaised: boolean } {
  const child = fork(fileURLToPath(moduleUrl), args, options);
  let priorityRaised = false;
  try {
    if (child.pid !== undefined && nice !== 0) {
      os.setPriority(child.pid, nice);
      priorityRaised = nice < 0;
    }
  } catch {
    // not permitted (not root, no CAP_SYS_NICE): the process runs at the default priority
  }
  return { child, priorityRaised };
}
