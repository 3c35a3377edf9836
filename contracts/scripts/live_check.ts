// Calls every endpoint of a running forecast API and validates each live response with both our
// generated schemas and the spec's hand-written Zod schemas (the front end's own).
//
//   cd contracts && npx tsx scripts/live_check.ts http://127.0.0.1:8001 demo forecast-demo-2026
//
// Exits non-zero when any response fails either schema or any call is not 2xx.
import type { ZodType } from 'zod';
import { z } from 'zod';

import * as ours from '../src/forecast';
import * as specAuth from '../tests/spec_schemas/auth';
import * as specForecasts from '../tests/spec_schemas/forecasts';
import * as specHealth from '../tests/spec_schemas/health';
import * as specImages from '../tests/spec_schemas/images';
import * as specModels from '../tests/spec_schemas/models';

const [base = 'http://127.0.0.1:8001', username = 'demo', password = 'forecast-demo-2026'] =
  process.argv.slice(2);
const api = `${base.replace(/\/$/, '')}/api/v1`;
let failures = 0;

async function call(method: string, path: string, token?: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) {
    failures += 1;
    console.error(`FAIL ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return undefined;
  }
  return response.headers.get('content-type')?.includes('json') ? response.json() : response.arrayBuffer();
}

function check(label: string, value: unknown, schemas: [string, ZodType][]): void {
  if (value === undefined) return;
  for (const [who, schema] of schemas) {
    const result = schema.safeParse(value);
    if (result.success) continue;
    failures += 1;
    console.error(`FAIL ${label} against ${who}: ${JSON.stringify(result.error.issues.slice(0, 3))}`);
  }
  console.log(`ok   ${label}`);
}

async function main(): Promise<void> {
  const login = await call('POST', '/auth/login', undefined, { username, password });
  check('POST /auth/login', login, [['ours', ours.TokenResponseSchema], ['spec', specAuth.TokenResponseSchema]]);
  const token = (login as { access_token: string }).access_token;

  const get = (path: string) => call('GET', path, token);
  const both = (name: keyof typeof ours & string, spec: ZodType): [string, ZodType][] => [
    ['ours', ours[name] as ZodType],
    ['spec', spec],
  ];

  check('GET /auth/me', await get('/auth/me'), both('UserResponseSchema', specAuth.UserResponseSchema));
  check('GET /forecasts/', await get('/forecasts/?page_size=500'),
    both('ForecastListResponseSchema', specForecasts.ForecastListResponseSchema));
  check('GET /forecasts/latest', await get('/forecasts/latest?limit=20'),
    [['ours', z.array(ours.ForecastResponseSchema)], ['spec', z.array(specForecasts.ForecastResponseSchema)]]);
  const dashboard = await get('/forecasts/dashboard');
  check('GET /forecasts/dashboard', dashboard, both('ForecastDashboardSchema', specForecasts.ForecastDashboardSchema));
  const horizon = (dashboard as { consensus?: { horizon: number } })?.consensus?.horizon ?? 5;
  check('GET /forecasts/consensus', await get(`/forecasts/consensus?horizon=${horizon}`),
    both('ConsensusResponseSchema', specForecasts.ConsensusResponseSchema));
  check('GET /forecasts/by-horizon/{h}', await get(`/forecasts/by-horizon/${horizon}`),
    [['ours', z.array(ours.ForecastResponseSchema)], ['spec', z.array(specForecasts.ForecastResponseSchema)]]);

  const models = (await get('/models/')) as { model_name: string }[] | undefined;
  check('GET /models/', models, [['ours', z.array(ours.ModelSummarySchema)], ['spec', z.array(specModels.ModelSummarySchema)]]);
  check('GET /models/comparison', await get('/models/comparison'),
    both('ModelComparisonSchema', specModels.ModelComparisonSchema));
  for (const { model_name: name } of models ?? []) {
    check(`GET /models/${name}`, await get(`/models/${name}`), both('ModelSummarySchema', specModels.ModelSummarySchema));
    check(`GET /models/${name}/metrics`, await get(`/models/${name}/metrics`),
      [['ours', z.array(ours.ModelMetricsSchema)], ['spec', z.array(specModels.ModelMetricsSchema)]]);
    check(`GET /models/${name}/feature-importance`, await get(`/models/${name}/feature-importance`),
      both('FeatureImportanceSchema', specModels.FeatureImportanceSchema));
  }

  const images = (await get('/images/')) as { images: { image_id: string }[] } | undefined;
  check('GET /images/', images, both('ImageListResponseSchema', specImages.ImageListResponseSchema));
  check('GET /images/models', await get('/images/models'), both('ImageListResponseSchema', specImages.ImageListResponseSchema));
  const first = images?.images[0]?.image_id;
  if (first) {
    const png = (await get(`/images/${first}`)) as ArrayBuffer | undefined;
    const signature = png ? Buffer.from(png).subarray(1, 4).toString() : '';
    if (signature !== 'PNG') failures += 1;
    console.log(`${signature === 'PNG' ? 'ok  ' : 'FAIL'} GET /images/{id} is a PNG`);
  }
  const backtest = models?.[0] ? await get(`/images/backtest/${models[0].model_name}/${horizon}`) : undefined;
  console.log(`${backtest instanceof ArrayBuffer ? 'ok  ' : 'FAIL'} GET /images/backtest/{model}/{h}`);
  if (!(backtest instanceof ArrayBuffer)) failures += 1;

  for (const path of ['/health', '/health/ready']) {
    check(`GET ${path}`, await call('GET', path), both('HealthResponseSchema', specHealth.HealthResponseSchema));
  }
  check('POST /auth/refresh', await call('POST', '/auth/refresh', token),
    both('TokenResponseSchema', specAuth.TokenResponseSchema));

  console.log(failures === 0 ? 'live check: every response passed both schemas' : `live check: ${failures} failure(s)`);
  process.exit(failures === 0 ? 0 : 1);
}

await main();
