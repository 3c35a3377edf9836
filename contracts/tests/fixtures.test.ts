// (b) every response recorded by the Python API tests (contracts/fixtures/<api>/*.json) validates
// against the matching generated schema, and (c) the forecast ones also against the spec's
// hand-written schemas: the issue requires every response to pass both.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';

import { APIS, ci, generatedSchemas, loadFixtures, specSchemas, type Api, type Fixture } from './support';

// Responses of endpoints the service added to the spec's (the contract grows, it never shrinks).
const ADDED_TO_THE_SPEC = ['MethodologyResponse', 'RunListResponse', 'AssetListResponse'];

const spec = specSchemas();

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function check(schema: z.ZodType, f: Fixture, exact: boolean) {
  const full = f.isArray ? z.array(schema) : schema;
  const r = full.safeParse(f.body);
  assert.ok(r.success, r.success ? '' : `${f.file} (${f.declared}): ${describeIssues(r.error)}`);
  if (exact) {
    // Zod drops unknown keys silently; the parsed value must equal the body, so a field the response
    // carries but the OpenAPI document does not describe is caught too.
    assert.deepStrictEqual(r.data, f.body, `${f.file}: the response has fields the schema does not declare`);
  }
}

for (const api of APIS) {
  const fixtures = loadFixtures(api);
  describe(`${api} fixtures`, () => {
    if (fixtures.length === 0) {
      const message =
        `NO FIXTURES in contracts/fixtures/${api}/ -- the ${api} Python tests record none, ` +
        `so no real ${api} response is checked against the contracts`;
      if (ci()) {
        test(`${api}: fixtures exist`, () => assert.fail(message));
      } else {
        console.warn(`\n!!! ${message} (fails when CI=true)\n`);
        test(`${api}: fixtures exist`, { todo: message }, () => {});
      }
      return;
    }
    const generated = generatedSchemas(api as Api);
    for (const f of fixtures) {
      test(`${f.file}: resolves to an OpenAPI component`, () => {
        assert.ok(f.component, `${f.file}: schema "${f.declared}" is neither a component of ${api}.json nor resolvable through "${f.endpoint}" ${f.status}`);
        assert.ok(generated.has(f.component!), `${f.file}: no generated schema for ${f.component}`);
      });
      if (f.documented) {
        test(`${f.file}: matches the response the OpenAPI document declares for ${f.endpoint} ${f.status}`, () => {
          assert.deepStrictEqual({ component: f.component, isArray: f.isArray }, f.documented);
        });
      }
      test(`${f.file}: ${f.declared} validates against the generated schema`, () => {
        check(generated.get(f.component!)!, f, true);
      });
      if (api === 'forecast' && !ADDED_TO_THE_SPEC.includes(f.component!)) {
        test(`${f.file}: ${f.declared} validates against the spec's hand-written schema`, () => {
          const schema = spec.get(f.component!);
          assert.ok(schema, `the spec has no schema for ${f.component}`);
          check(schema!, f, false);
        });
      }
    }
  });
}
