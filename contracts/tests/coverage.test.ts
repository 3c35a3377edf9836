// The generated code, the per-domain re-exports and the spec's names stay in step with the OpenAPI
// documents.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';

import { APIS, CONTRACTS_DIR, facades, generatedSchemas, openapi, specSchemas } from './support';

const SPEC_NAMES = [
  'LoginRequest', 'TokenResponse', 'UserResponse',
  'ForecastResponse', 'ForecastListResponse', 'ConsensusResponse', 'ForecastDashboard',
  'ModelMetrics', 'ModelSummary', 'ModelComparison', 'FeatureImportance',
  'ImageMetadata', 'ImageListResponse',
  'ServiceHealth', 'HealthResponse',
  'ErrorDetail', 'ErrorResponse',
];

for (const api of APIS) {
  describe(`${api}: generated code covers the OpenAPI document`, () => {
    const components = Object.keys(openapi(api).components.schemas);
    const generated = generatedSchemas(api);
    test('every component has a generated Zod schema', () => {
      assert.deepStrictEqual(components.filter((c) => !generated.has(c)), []);
    });
    test(`every component is re-exported as <Name>Schema by src/${api} (the very generated object)`, () => {
      const facade = facades[api];
      const missing = components.filter((c) => !(`${c}Schema` in facade));
      assert.deepStrictEqual(missing, [], `add them to a domain file under src/${api}/`);
      for (const c of components) assert.equal(facade[`${c}Schema`], generated.get(c), `${c}Schema is not the generated schema`);
    });
    test('src/<api> exports nothing that is not a component (stale names)', () => {
      const stale = Object.keys(facades[api]).filter((k) => k.endsWith('Schema') && !components.includes(k.slice(0, -6)));
      assert.deepStrictEqual(stale, []);
    });
  });
}

/** A field's base type, ignoring optional/nullable/default wrappers (the generator writes nullish). */
function kind(schema: z.ZodType): string {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (['optional', 'nullable', 'default'].includes(s.def.type) && s.def.innerType) {
    s = s.def.innerType as typeof s;
  }
  return s.def.type;
}

describe('forecast: the spec names', () => {
  const spec = specSchemas();
  const facade = facades.forecast;
  for (const name of SPEC_NAMES) {
    // The contract may grow (new fields), never shrink or retype: every spec field is ours, of the same kind.
    test(`${name}Schema is exported and has every spec field, of the spec's type`, () => {
      const ours = facade[`${name}Schema`] as z.ZodObject;
      const theirs = spec.get(name) as z.ZodObject;
      assert.ok(ours instanceof z.ZodObject, `src/forecast does not export ${name}Schema`);
      const missing = Object.keys(theirs.shape).filter((k) => !(k in ours.shape));
      assert.deepStrictEqual(missing, [], `${name} lost spec fields`);
      for (const k of Object.keys(theirs.shape)) {
        assert.equal(kind(ours.shape[k]), kind(theirs.shape[k]), `${name}.${k} changed type`);
      }
    });
  }
});

describe('generator configuration', () => {
  const src = (api: string) => readFileSync(path.join(CONTRACTS_DIR, 'src', 'generated', api, 'zod.gen.ts'), 'utf8');
  test('datetimes are ISO 8601 with Z only (z.iso.datetime() without offset/local)', () => {
    const f = src('forecast');
    assert.match(f, /generated_at: z\.iso\.datetime\(\)/);
    assert.doesNotMatch(f + src('unitrack'), /z\.iso\.datetime\(\{/);
  });
  test('Literals are enums, tuples are tuples, dicts are records, Optional[T] is nullable', () => {
    const f = src('forecast');
    assert.match(f, /direction: z\.enum\(\['up', 'down'\]\)/);
    assert.match(f, /dimensions: z\.tuple\(\[z\.int\(\), z\.int\(\)\]\)/);
    assert.match(f, /weights: z\.record\(z\.string\(\), z\.number\(\)\)/);
    assert.match(f, /prediction_price: z\.number\(\)\.nullish\(\)/);
  });
});

describe('spec schemas are a verbatim copy', () => {
  // The in-repository copy of the spec's Zod blocks (its first lines say where from and when), so this
  // runs everywhere, CI included, instead of depending on a file outside the repository.
  const specPath = path.join(CONTRACTS_DIR, 'spec', 'forecast-contracts-zod.md');
  test('tests/spec_schemas/*.ts match the spec\'s typescript blocks', () => {
    const blocks = [...readFileSync(specPath, 'utf8').matchAll(/```typescript\n(\/\/ contracts\/(\w+)\.ts\n[\s\S]*?)```/g)];
    assert.equal(blocks.length, 6);
    for (const [, body, name] of blocks) {
      const copy = readFileSync(path.join(CONTRACTS_DIR, 'tests', 'spec_schemas', `${name}.ts`), 'utf8');
      assert.ok(copy.endsWith(body), `tests/spec_schemas/${name}.ts differs from the spec`);
    }
  });
});
