// Writes the OpenAPI document exactly as patient-api serves it at /openapi.json: the compiled
// module (services/patient-api/dist) and the version main.ts reads, so `npm run lint:openapi`
// lints what clients get. Build first (npm run lint:openapi does: tsc -b is incremental).
//
// Usage: node scripts/tools/openapi.ts [FILE]   (default .data/openapi.json)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '..', '..');
const SERVICE = join(ROOT, 'services', 'patient-api');
const MODULE = join(SERVICE, 'dist', 'routes', 'openapiDocument.js');

if (!existsSync(MODULE)) {
  console.error(`openapi: ${MODULE} is missing: build patient-api first (npm run build)`);
  process.exit(1);
}
const { openapiDocument } = (await import(pathToFileURL(MODULE).href)) as {
  openapiDocument: (version: string) => object;
};
const { version } = JSON.parse(readFileSync(join(SERVICE, 'package.json'), 'utf8')) as { version: string };
const file = resolve(process.argv[2] ?? join(ROOT, '.data', 'openapi.json'));
mkdirSync(dirname(file), { recursive: true });
// The service sends JSON.stringify(document); indented here so lint findings carry line numbers.
writeFileSync(file, `${JSON.stringify(openapiDocument(version), null, 2)}\n`);
console.log(`openapi: ${file}`);
