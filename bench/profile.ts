import fs from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * With PROFILE=dir set: a CPU profile of this process while `work` runs, written to
 * dir/name.cpuprofile (open it in Chrome DevTools or VS Code). Without it: just `work`.
 */
export async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  const dir = process.env.PROFILE;
  if (!dir) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(`${dir}/${name}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  }
}
