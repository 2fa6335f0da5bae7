import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package.json of the hub, found upward from this file (works from src/ and from dist/src/). */
function findPackageJson(): { version: string; root: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'touchpoint-hub') return { version: pkg.version ?? '0.0.0', root: dir };
    }
    dir = path.dirname(dir);
  }
  return { version: '0.0.0', root: process.cwd() };
}

const found = findPackageJson();
export const VERSION = found.version;
/** The repository root (where package.json and schema.graphql live). */
export const PROJECT_ROOT = found.root;
