// `npm run connector:new <id>`: a new connectors/<id>/ from connectors/_template. Runs under
// Node's type stripping (no build step), so only erasable TypeScript syntax here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The template's placeholder, in the three spellings its files use. */
const TOKEN = { lower: 'vendorx', pascal: 'Vendorx', upper: 'VENDORX' } as const;

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

export interface ScaffoldOptions {
  id: string;
  /** The project's connectors/ directory. */
  connectorsDir: string;
}

/** Copies connectors/_template to connectors/<id>, renaming the placeholder in names and contents. */
export function scaffoldConnector(options: ScaffoldOptions): { dir: string; files: string[] } {
  const { id, connectorsDir } = options;
  if (!/^[a-z][a-z0-9]{1,30}$/.test(id)) {
    throw new ScaffoldError(
      `connector id "${id}" must be 2 to 31 lower-case letters and digits, starting with a letter (like "zendesk")`,
    );
  }
  const template = path.join(connectorsDir, '_template');
  const dir = path.join(connectorsDir, id);
  if (!fs.existsSync(template)) throw new ScaffoldError(`no template at ${template}`);
  if (fs.existsSync(dir))
    throw new ScaffoldError(
      `${path.relative(process.cwd(), dir) || dir} already exists: choose another id or remove it`,
    );
  const pascal = id[0]!.toUpperCase() + id.slice(1);
  const rename = (text: string) =>
    text
      .split(TOKEN.upper)
      .join(id.toUpperCase())
      .split(TOKEN.pascal)
      .join(pascal)
      .split(TOKEN.lower)
      .join(id);
  const files: string[] = [];
  const copy = (from: string, to: string) => {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, entry.name);
      const dest = path.join(to, rename(entry.name));
      if (entry.isDirectory()) copy(src, dest);
      else {
        fs.writeFileSync(dest, rename(fs.readFileSync(src, 'utf8')));
        files.push(path.relative(dir, dest));
      }
    }
  };
  copy(template, dir);
  return { dir, files: files.sort() };
}

function main(argv: string[]): number {
  const id = argv[0];
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const connectorsDir = path.join(root.endsWith(`${path.sep}dist`) ? path.dirname(root) : root, 'connectors');
  if (!id || argv.length > 1) {
    process.stderr.write('usage: npm run connector:new <id>   (e.g. npm run connector:new zendesk)\n');
    return 1;
  }
  try {
    const { dir, files } = scaffoldConnector({ id, connectorsDir });
    const rel = path.relative(process.cwd(), dir) || dir;
    process.stdout.write(
      [
        `created ${rel}/ with ${files.join(', ')}`,
        '',
        'Next:',
        `  1. replace the placeholder API in ${rel}/client.ts, index.ts, mapping.ts, webhooks.ts, simulator.ts and README.md`,
        `  2. register it in connectors/index.ts:  import ${id} from './${id}/index.js';  ... ${id},`,
        `  3. npm test -- ${rel}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    if (!(err instanceof ScaffoldError)) throw err;
    process.stderr.write(`connector:new: ${err.message}\n`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]))
  process.exitCode = main(process.argv.slice(2));
