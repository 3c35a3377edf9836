// Drift check: compares the committed contracts with freshly generated ones and names what changed.
//
//   node scripts/drift.mjs --fresh DIR
//
// DIR holds a fresh export: DIR/openapi/<api>.json and DIR/generated/<api>/*.ts (see check.sh).
// Compared with contracts/openapi/ and contracts/src/generated/.
// OpenAPI: components.schemas are compared by name (added / removed / changed), then the paths and
// the rest of the document. TypeScript: files are compared by name; inside zod.gen.ts and
// types.gen.ts the changed exports are named. Exit 1 on any drift.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const contractsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const APIS = ['unitrack', 'forecast'];
const i = process.argv.indexOf('--fresh');
if (i < 0) {
  console.error('usage: node scripts/drift.mjs --fresh DIR');
  process.exit(2);
}
const freshDir = path.resolve(process.argv[i + 1]);
const problems = [];

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

/** Up to `limit` dotted paths where two JSON values differ. */
function changedPaths(a, b, prefix = '', out = [], limit = 5) {
  if (out.length >= limit || isDeepStrictEqual(a, b)) return out;
  const objects = a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!objects) {
    out.push(prefix || '(root)');
    return out;
  }
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k, out, limit);
  }
  return out;
}

/** a = committed, b = fresh (what the code produces now). */
function diffKeys(label, a = {}, b = {}, detail = false) {
  const out = [];
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const n of names) {
    if (!(n in a)) out.push(`${label} ${n}: new in the code, not committed`);
    else if (!(n in b)) out.push(`${label} ${n}: committed, but gone from the code`);
    else if (!isDeepStrictEqual(a[n], b[n])) {
      out.push(`${label} ${n}: changed${detail ? ` (${changedPaths(a[n], b[n]).join(', ')})` : ''}`);
    }
  }
  return out;
}

// ---- OpenAPI ------------------------------------------------------------------------------------
for (const api of APIS) {
  const committedPath = path.join(contractsDir, 'openapi', `${api}.json`);
  const freshPath = path.join(freshDir, 'openapi', `${api}.json`);
  const rel = path.relative(contractsDir, committedPath);
  if (!existsSync(committedPath)) {
    problems.push(`${rel}: not committed`);
    continue;
  }
  const committedText = readFileSync(committedPath, 'utf8');
  const freshText = readFileSync(freshPath, 'utf8');
  if (committedText === freshText) continue;
  const committed = JSON.parse(committedText);
  const fresh = JSON.parse(freshText);
  const found = [
    ...diffKeys(`${api} schema`, committed.components?.schemas, fresh.components?.schemas, true),
    ...diffKeys(`${api} path`, committed.paths, fresh.paths),
  ];
  const rest = (d) => ({ ...d, paths: undefined, components: { ...d.components, schemas: undefined } });
  if (!isDeepStrictEqual(rest(committed), rest(fresh))) found.push(`${api}: document metadata changed (info/tags/securitySchemes/...)`);
  if (!found.length) found.push(`${rel}: formatting differs (regenerate)`);
  problems.push(...found.map((f) => `${f}   [${rel}]`));
}

// ---- TypeScript ---------------------------------------------------------------------------------
function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Split a generated file into its top-level exported declarations, keyed by name. */
function exportsOf(text) {
  const out = {};
  const chunks = text.split(/\n(?=(?:\/\*\*[\s\S]*?\*\/\n)?export )/);
  for (const chunk of chunks) {
    const m = chunk.match(/export (?:const|type|interface|enum|function) (\w+)/);
    if (m) out[m[1]] = chunk;
  }
  return out;
}

const committedGen = path.join(contractsDir, 'src', 'generated');
const freshGen = path.join(freshDir, 'generated');
const cFiles = listFiles(committedGen);
const fFiles = listFiles(freshGen);
for (const f of [...new Set([...cFiles, ...fFiles])].sort()) {
  const rel = path.join('src/generated', f);
  if (!cFiles.includes(f)) {
    problems.push(`${rel}: would be created (not committed)`);
    continue;
  }
  if (!fFiles.includes(f)) {
    problems.push(`${rel}: committed but no longer generated`);
    continue;
  }
  const a = readFileSync(path.join(committedGen, f), 'utf8');
  const b = readFileSync(path.join(freshGen, f), 'utf8');
  if (a === b) continue;
  const names = diffKeys('export', exportsOf(a), exportsOf(b));
  problems.push(`${rel}: differs${names.length ? ` (${names.join('; ')})` : ''}`);
}

if (problems.length) {
  console.error('contracts drift: the committed contracts do not match what the code produces now:');
  for (const p of problems) console.error(`  - ${p}`);
  console.error('Run `make contracts` (contracts/generate.sh) and commit contracts/openapi and contracts/src/generated.');
  process.exit(1);
}
console.log(`contracts drift check: OK (${APIS.length} OpenAPI documents, ${cFiles.length} generated files match)`);
