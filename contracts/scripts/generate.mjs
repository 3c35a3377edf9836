// Runs @hey-api/openapi-ts (typescript + zod plugins) for every OpenAPI document.
//
//   node scripts/generate.mjs [--openapi DIR] [--out DIR]
//
// defaults: --openapi openapi/  --out src/generated/   (relative to contracts/)
// Output per API: <out>/<api>/{index.ts,types.gen.ts,zod.gen.ts}. The generator's own printer is
// deterministic, so no separate formatter is needed (verified by check.sh's drift check).
import { createClient } from '@hey-api/openapi-ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const contractsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const APIS = ['unitrack', 'forecast'];

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return path.resolve(i >= 0 ? process.argv[i + 1] : fallback);
}

const openapiDir = arg('--openapi', path.join(contractsDir, 'openapi'));
const outDir = arg('--out', path.join(contractsDir, 'src', 'generated'));

/** @param {string} api */
export function configFor(api) {
  return {
    input: path.join(openapiDir, `${api}.json`),
    output: {
      path: path.join(outDir, api),
      clean: true,
      // Fixed so the output does not depend on where the temp dir of the drift check lives.
      tsConfigPath: path.join(contractsDir, 'tsconfig.json'),
    },
    logs: { level: 'warn', file: false },
    plugins: [
      '@hey-api/typescript',
      {
        name: 'zod',
        // zod 4 (package.json pins zod 4.x).
        compatibilityVersion: 4,
        // format: date-time -> z.iso.datetime(): ISO 8601 with a trailing Z only, like the spec's
        // z.string().datetime() (no naive values, no +00:00 offsets).
        dates: { local: false, offset: false },
        includeInEntry: true,
      },
    ],
  };
}

const missing = APIS.filter((api) => !existsSync(path.join(openapiDir, `${api}.json`)));
if (missing.length) {
  console.error(`generate: missing OpenAPI document(s): ${missing.map((a) => `${a}.json`).join(', ')} in ${openapiDir}`);
  process.exit(1);
}
await createClient(APIS.map(configFor));
