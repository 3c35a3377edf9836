// (a) The spec's example objects pass and deliberately broken ones fail -- against our generated
// schemas (through the per-domain re-exports) and against the spec's own hand-written schemas.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { z } from 'zod';

import * as ours from '../src/forecast';
import { specSchemas } from './support';

const spec = specSchemas();

// "Validación de Contratos" -> Frontend -> Pruebas Zod: the spec's own ForecastResponse example.
const forecast = {
  model: 'ridge',
  horizon: 5,
  prediction: 0.0023,
  direction: 'up',
  confidence: 0.65,
  prediction_date: '2026-01-20',
  generated_at: '2026-01-15T10:30:00Z',
};
const consensus = {
  consensus_prediction: 0.0056,
  consensus_direction: 'up',
  confidence: 0.68,
  models_used: ['ridge', 'hybrid_xgboost'],
  weights: { ridge: 0.4, hybrid_xgboost: 0.6 },
  horizon: 5,
  generated_at: '2026-01-15T10:30:00Z',
};
// metrics.csv, first row: ridge,1,54.85,51.40,0.440,0.0089,0.0072
const metrics = {
  model_name: 'ridge',
  model_type: 'linear',
  horizon: 1,
  da_train: 54.85,
  da_test: 51.4,
  variance_ratio: 0.44,
  rmse: 0.0089,
  mae: 0.0072,
  r2: null,
  sharpe: null,
  max_drawdown: null,
  overfitting_gap: 3.45,
};
const summary = {
  model_name: 'hybrid_lightgbm',
  model_type: 'hybrid',
  avg_da_test: 60.41,
  best_horizon: 15,
  best_da: 68.54,
  requires_scaling: false,
  supports_early_stopping: true,
};
const image = {
  image_id: 'model_ranking',
  image_type: 'model_ranking',
  model_name: null,
  horizon: null,
  generated_at: '2026-01-15T10:30:00.123456Z',
  file_size_bytes: 48213,
  dimensions: [1200, 800],
};
const serviceHealth = { name: 'database', status: 'healthy', latency_ms: 1.7, message: null };
const errorDetail = { field: 'horizon', message: 'Input should be less than or equal to 30', code: 'less_than_equal' };

const examples: Record<string, unknown> = {
  LoginRequest: { username: 'alice', password: 'correct horse battery staple' },
  TokenResponse: { access_token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig', token_type: 'bearer', expires_at: '2026-01-15T11:30:00Z' },
  UserResponse: { id: 1, username: 'alice', email: 'alice@example.com', is_active: true, created_at: '2026-01-15T09:00:00Z' },
  ForecastResponse: forecast,
  ForecastListResponse: { forecasts: [forecast, { ...forecast, model: 'hybrid_xgboost', prediction_price: 101.2 }], total: 2, page: 1, page_size: 50 },
  ConsensusResponse: consensus,
  ForecastDashboard: {
    latest_forecasts: [forecast],
    consensus,
    best_model: 'hybrid_lightgbm',
    best_model_da: 60.41,
    avg_da_all_models: 60.36,
    last_actual_price: 100.5,
    last_actual_date: '2026-01-15',
    generated_at: '2026-01-15T10:30:00Z',
  },
  ModelMetrics: metrics,
  ModelSummary: summary,
  ModelComparison: {
    models: [summary],
    metrics_by_horizon: { '1': [metrics] },
    best_model_overall: 'hybrid_lightgbm',
    best_model_by_horizon: { '1': 'ridge', '15': 'hybrid_xgboost' },
    generated_at: '2026-01-06T19:16:25.338231Z',
  },
  FeatureImportance: { model_name: 'ridge', horizon: 5, features: { rsi_14: 0.21, ret_5: 0.13 }, top_n: 15 },
  ImageMetadata: image,
  ImageListResponse: { images: [image], total: 1 },
  ServiceHealth: serviceHealth,
  HealthResponse: { status: 'healthy', version: '1.0.0', environment: 'test', services: { database: serviceHealth }, timestamp: '2026-01-15T10:30:00Z' },
  ErrorDetail: errorDetail,
  ErrorResponse: { error: 'validation_error', message: 'Invalid request', details: [errorDetail], status_code: 422, timestamp: '2026-01-15T10:30:00Z' },
};

// What the service adds to each spec object (the contract may grow, never shrink or retype). Our generated
// schemas require these; the spec's schemas ignore them.
const consensusAdds = {
  signal: 'skill', consensus_holdout_da: 57.1, holdout_always_up_da: 54.2, holdout_da_ci_low: 52.3,
  holdout_da_ci_high: 61.9, n_holdout: 400,
};
const metricsAdds = {
  always_up_da: 53.9, last_sign_da: 48.4, edge_vs_always_up: -2.5, da_ci_low: 48.9, da_ci_high: 53.9,
  p_value_vs_always_up: 0.93, p_value_adjusted: 1.0, buy_hold_sharpe: 0.63, sharpe_after_costs: null,
};
const summaryAdds = { avg_always_up_da: 62.9, avg_edge_vs_always_up: -2.5, best_horizon_edge: 4.6 };
const verdictAdds = { beats_baseline: false, verdict: 'No model beats always-up at any horizon on this data.' };
const horizonSkill = {
  horizon: 1, baseline_da: 53.9, best_model: 'huber', best_edge: -3.3, best_holdout_da: 51.4,
  baseline_holdout_da: 54.7, spa_p_value: 0.62, spa_p_value_adjusted: 1.0, beats_baseline: false,
  n_test: 1988, n_holdout: 398,
};
const additions: Record<string, Record<string, unknown>> = {
  ConsensusResponse: consensusAdds,
  ForecastDashboard: {
    consensus: { ...consensus, ...consensusAdds }, baseline_da: 62.9, best_model_edge: -2.5, best_model_holdout_edge: -2.9,
    ...verdictAdds,
  },
  ModelMetrics: metricsAdds,
  ModelSummary: summaryAdds,
  ModelComparison: {
    models: [{ ...summary, ...summaryAdds }], metrics_by_horizon: { '1': [{ ...metrics, ...metricsAdds }] },
    best_model_overall_edge: -2.5, best_model_overall_holdout_edge: -2.9, skill_by_horizon: { '1': horizonSkill },
    ...verdictAdds,
  },
};
const extended = (name: string) => ({ ...(examples[name] as object), ...(additions[name] ?? {}) });

const SPEC_NAMES = Object.keys(examples);

function oursFor(name: string): z.ZodType {
  const schema = (ours as Record<string, unknown>)[`${name}Schema`];
  assert.ok(schema, `src/forecast does not export ${name}Schema`);
  return schema as z.ZodType;
}

describe('spec examples pass', () => {
  for (const name of SPEC_NAMES) {
    test(`${name}: generated schema (with the service's added fields)`, () => {
      const r = oursFor(name).safeParse(extended(name));
      assert.ok(r.success, r.success ? '' : JSON.stringify(r.error.issues));
    });
    test(`${name}: spec schema, as the spec writes it and with the added fields`, () => {
      for (const value of [examples[name], extended(name)]) {
        const r = spec.get(name)!.safeParse(value);
        assert.ok(r.success, r.success ? '' : JSON.stringify(r.error.issues));
      }
    });
  }
  test('optional + nullable fields may be omitted or null (spec: .optional().nullable())', () => {
    for (const price of [undefined, null, 101.2]) {
      assert.ok(ours.ForecastResponseSchema.safeParse({ ...forecast, prediction_price: price }).success);
    }
    const { details: _omit, ...noDetails } = examples.ErrorResponse as Record<string, unknown>;
    assert.ok(ours.ErrorResponseSchema.safeParse(noDetails).success);
  });
  test('defaults are applied like the spec (page, page_size, top_n, token_type)', () => {
    const list = ours.ForecastListResponseSchema.parse({ forecasts: [], total: 0 });
    assert.equal(list.page, 1);
    assert.equal(list.page_size, 50);
    assert.equal(ours.FeatureImportanceSchema.parse({ model_name: 'ridge', horizon: 1, features: {} }).top_n, 15);
    assert.equal(ours.TokenResponseSchema.parse({ access_token: 't', expires_at: '2026-01-15T11:30:00Z' }).token_type, 'bearer');
  });
});

// complete: the value already holds every added field it should (do not fill them in).
type Broken = { name: string; schema: string; value: unknown; spec?: false; why?: string; complete?: true };
const without = (o: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

const broken: Broken[] = [
  { name: 'horizon 31', schema: 'ForecastResponse', value: { ...forecast, horizon: 31 } },
  { name: 'horizon 0', schema: 'ForecastResponse', value: { ...forecast, horizon: 0 } },
  { name: 'horizon 5.5 (not an integer)', schema: 'ForecastResponse', value: { ...forecast, horizon: 5.5 } },
  { name: 'confidence 1.5', schema: 'ForecastResponse', value: { ...forecast, confidence: 1.5 } },
  { name: 'confidence -0.1', schema: 'ForecastResponse', value: { ...forecast, confidence: -0.1 } },
  { name: 'direction "sideways"', schema: 'ForecastResponse', value: { ...forecast, direction: 'sideways' } },
  { name: 'naive datetime (the spec\'s Python example value)', schema: 'ForecastResponse', value: { ...forecast, generated_at: '2026-01-15T10:30:00' } },
  { name: '+00:00 offset', schema: 'ForecastResponse', value: { ...forecast, generated_at: '2026-01-15T10:30:00+00:00' } },
  { name: 'date instead of datetime', schema: 'ForecastResponse', value: { ...forecast, generated_at: '2026-01-15' } },
  { name: 'missing required field (model)', schema: 'ForecastResponse', value: without(forecast, 'model') },
  { name: 'missing required field (generated_at)', schema: 'ForecastResponse', value: without(forecast, 'generated_at') },
  { name: 'prediction as a string', schema: 'ForecastResponse', value: { ...forecast, prediction: '0.0023' } },
  { name: 'dimensions of length 3', schema: 'ImageMetadata', value: { ...image, dimensions: [1200, 800, 3] } },
  { name: 'dimensions of length 1', schema: 'ImageMetadata', value: { ...image, dimensions: [1200] } },
  { name: 'dimensions not integers', schema: 'ImageMetadata', value: { ...image, dimensions: [1200.5, 800] } },
  { name: 'image_type not in the Literal', schema: 'ImageMetadata', value: { ...image, image_type: 'pie_chart' } },
  { name: '+00:00 offset', schema: 'ImageMetadata', value: { ...image, generated_at: '2026-01-15T10:30:00.123456+00:00' } },
  { name: 'consensus_direction "flat"', schema: 'ConsensusResponse', value: { ...consensus, consensus_direction: 'flat' } },
  { name: 'weights value not a number', schema: 'ConsensusResponse', value: { ...consensus, weights: { ridge: '0.4' } } },
  { name: 'naive datetime', schema: 'ConsensusResponse', value: { ...consensus, generated_at: '2026-01-15T10:30:00' } },
  { name: 'model_type "neural"', schema: 'ModelMetrics', value: { ...metrics, model_type: 'neural' } },
  { name: 'rmse as a string', schema: 'ModelMetrics', value: { ...metrics, rmse: 'n/a' } },
  { name: 'metrics_by_horizon value not a list', schema: 'ModelComparison', value: { ...(examples.ModelComparison as object), metrics_by_horizon: { '1': metrics } } },
  { name: 'status "ok"', schema: 'HealthResponse', value: { ...(examples.HealthResponse as object), status: 'ok' } },
  { name: 'services value not a ServiceHealth', schema: 'HealthResponse', value: { ...(examples.HealthResponse as object), services: { database: 'up' } } },
  { name: 'token_type "mac"', schema: 'TokenResponse', value: { ...(examples.TokenResponse as object), token_type: 'mac' } },
  { name: 'expires_at with +01:00 offset', schema: 'TokenResponse', value: { ...(examples.TokenResponse as object), expires_at: '2026-01-15T11:30:00+01:00' } },
  { name: 'empty username', schema: 'LoginRequest', value: { username: '', password: 'x' } },
  { name: 'status_code missing', schema: 'ErrorResponse', value: without(examples.ErrorResponse as Record<string, unknown>, 'status_code') },
  { name: 'details entry without code', schema: 'ErrorResponse', value: { ...(examples.ErrorResponse as object), details: [{ message: 'x' }] } },
  // The service's added fields (the spec's schemas do not know them).
  { name: 'signal "maybe"', schema: 'ConsensusResponse', value: { ...consensus, signal: 'maybe' }, spec: false },
  { name: 'n_holdout missing', schema: 'ConsensusResponse', value: without({ ...consensus, ...consensusAdds }, 'n_holdout'), spec: false, complete: true },
  { name: 'p_value_vs_always_up 1.5', schema: 'ModelMetrics', value: { ...metrics, p_value_vs_always_up: 1.5 }, spec: false },
  { name: 'always_up_da missing', schema: 'ModelMetrics', value: without({ ...metrics, ...metricsAdds }, 'always_up_da'), spec: false, complete: true },
  { name: 'skill_by_horizon entry without spa_p_value', schema: 'ModelComparison', value: { ...(examples.ModelComparison as object), skill_by_horizon: { '1': without(horizonSkill, 'spa_p_value') } }, spec: false },
  { name: 'verdict missing', schema: 'ForecastDashboard', value: without(extended('ForecastDashboard'), 'verdict'), spec: false, complete: true },
];

describe('broken objects fail', () => {
  for (const b of broken) {
    test(`${b.schema}: ${b.name} -> generated schema rejects`, () => {
      // With the added fields filled in, so the rejection is for the breakage named, not a missing addition.
      const value = b.complete ? b.value : { ...(additions[b.schema] ?? {}), ...(b.value as object) };
      assert.equal(oursFor(b.schema).safeParse(value).success, false);
    });
    if (b.spec !== false) {
      test(`${b.schema}: ${b.name} -> spec schema rejects`, () => {
        assert.equal(spec.get(b.schema)!.safeParse(b.value).success, false);
      });
    }
  }
});
