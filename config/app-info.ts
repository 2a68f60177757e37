/** The package's version and root folder, read once at start-up. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The running version, reported by /health, /metrics and `countersign --version`. */
export const APP_VERSION = pkg.version;

/** The project root (where package.json, data/ and store/migrations live). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
