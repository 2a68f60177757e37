/** The package's name and version, read once from package.json. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

export const APP_NAME = pkg.name;
export const APP_VERSION = pkg.version;

/** The project root (where package.json, data/ and store/migrations live). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
