// Shared helpers of the contract tests: schema registries (generated and spec) and the fixture loader.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

import * as forecastGenerated from '../src/generated/forecast/zod.gen';
import * as unitrackGenerated from '../src/generated/unitrack/zod.gen';
import * as forecastFacade from '../src/forecast';
import * as unitrackFacade from '../src/unitrack';
import * as specAuth from './spec_schemas/auth';
import * as specErrors from './spec_schemas/errors';
import * as specForecasts from './spec_schemas/forecasts';
import * as specHealth from './spec_schemas/health';
import * as specImages from './spec_schemas/images';
import * as specModels from './spec_schemas/models';

export const CONTRACTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const APIS = ['forecast', 'unitrack'] as const;
export type Api = (typeof APIS)[number];

type AnySchema = z.ZodType;
type OpenApiDoc = {
  paths: Record<string, Record<string, { responses?: Record<string, any> }>>;
  components: { schemas: Record<string, any> };
};

export function openapi(api: Api): OpenApiDoc {
  return JSON.parse(readFileSync(path.join(CONTRACTS_DIR, 'openapi', `${api}.json`), 'utf8'));
}

const norm = (s: string) => s.replace(/[^A-Za-z0-9]/g, '').toLowerCase();

const generatedModules: Record<Api, Record<string, unknown>> = {
  forecast: forecastGenerated,
  unitrack: unitrackGenerated,
};
export const facades: Record<Api, Record<string, unknown>> = {
  forecast: forecastFacade,
  unitrack: unitrackFacade,
};

/** OpenAPI component name -> generated Zod schema (the generator camel-cases names: HTTPError -> zHttpError). */
export function generatedSchemas(api: Api): Map<string, AnySchema> {
  const mod = generatedModules[api];
  const byNorm = new Map(Object.entries(mod).map(([k, v]) => [norm(k), v as AnySchema]));
  const out = new Map<string, AnySchema>();
  for (const name of Object.keys(openapi(api).components.schemas)) {
    const schema = byNorm.get(norm(`z${name}`));
    if (schema) out.set(name, schema);
  }
  return out;
}

/**
 * The spec's hand-written schemas, by component name. The spec describes two responses inline in its
 * endpoint tables instead of as schemas ({message: string} and {status: "ok"}); they are spelled out
 * here exactly as the tables give them.
 */
export function specSchemas(): Map<string, AnySchema> {
  const out = new Map<string, AnySchema>();
  for (const mod of [specAuth, specErrors, specForecasts, specHealth, specImages, specModels]) {
    for (const [k, v] of Object.entries(mod)) {
      if (k.endsWith('Schema') && v instanceof z.ZodType) out.set(k.slice(0, -'Schema'.length), v);
    }
  }
  out.set('MessageResponse', z.object({ message: z.string() }));
  out.set('LivenessResponse', z.object({ status: z.literal('ok') }));
  return out;
}

// ---- fixtures -------------------------------------------------------------------------------------

export type Fixture = {
  file: string;
  /** Component name, without the [] suffix. */
  component: string | null;
  isArray: boolean;
  /** What the file said, verbatim. */
  declared: string;
  status: number;
  endpoint: string | null;
  body: unknown;
  /** The component the OpenAPI document declares for this endpoint and status, when it declares one. */
  documented: { component: string; isArray: boolean } | null;
};

function refName(schema: any): { component: string; isArray: boolean } | null {
  if (!schema) return null;
  if (typeof schema.$ref === 'string') return { component: schema.$ref.split('/').pop(), isArray: false };
  if (schema.type === 'array' && typeof schema.items?.$ref === 'string') {
    return { component: schema.items.$ref.split('/').pop(), isArray: true };
  }
  return null;
}

/** Response schema the OpenAPI document declares for "METHOD /path?query" and a status code. */
export function documentedResponse(api: Api, endpoint: string, status: number) {
  const [method, rawPath] = endpoint.split(' ');
  const urlPath = rawPath.split('?')[0];
  const doc = openapi(api);
  const templates = Object.keys(doc.paths).sort((a, b) => a.split('{').length - b.split('{').length);
  for (const template of templates) {
    const re = new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    if (!re.test(urlPath)) continue;
    const op = doc.paths[template][method.toLowerCase()];
    if (!op) continue;
    const response = op.responses?.[String(status)];
    return refName(response?.content?.['application/json']?.schema);
  }
  return null;
}

/**
 * Loads contracts/fixtures/<api>/*.json. Two layouts are accepted:
 *   {"schema": "Name" | "Name[]", "status": 200, "body": ...}                        (the brief's layout)
 *   {"schema": "...", "status_code": 200, "response": ..., "endpoint": "GET /api/v1/..."}  (forecast tests)
 * A schema that is not a component name (the spec's inline "{message: string}") is resolved through
 * the OpenAPI document's response for the fixture's endpoint and status.
 */
export function loadFixtures(api: Api): Fixture[] {
  const dir = path.join(CONTRACTS_DIR, 'fixtures', api);
  if (!existsSync(dir)) return [];
  const components = openapi(api).components.schemas;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
      const declared = String(raw.schema ?? '');
      const status = Number(raw.status ?? raw.status_code);
      const body = 'body' in raw ? raw.body : raw.response;
      const endpoint = typeof raw.endpoint === 'string' ? raw.endpoint : null;
      const documented = endpoint ? documentedResponse(api, endpoint, status) : null;
      let isArray = declared.endsWith('[]');
      let component: string | null = isArray ? declared.slice(0, -2) : declared;
      if (!(component in components)) {
        component = documented?.component ?? null;
        isArray = documented?.isArray ?? false;
      }
      return { file, component, isArray, declared, status, endpoint, body, documented };
    });
}

export const ci = () => ['1', 'true'].includes(String(process.env.CI ?? '').toLowerCase());
