import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Runs `script` (an ES module's text) in a plain Node process with only PATH and `env` set, and
 * gives its stdout: for tests of the BUILT modules (dist/, built by `npm test` first), where worker
 * threads really start (a test run from the TypeScript sources has no compiled worker file).
 * A script file, not `-e`: a worker thread inherits the parent's execArgv, and `--input-type` is
 * refused for a worker's file.
 */
export function runBuiltScript(
  script: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'built-script-')), 'run.mjs');
  fs.writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [file],
      { timeout: timeoutMs, env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}
