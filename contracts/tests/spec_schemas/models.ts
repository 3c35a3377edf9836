// COPIED VERBATIM from contracts/spec/forecast-contracts-zod.md, the in-repository copy of the
// 'Frontend (Zod)' blocks of shared/spec/forecast-contracts.md.
// Do not edit: these are the spec's hand-written schemas, used by the tests as a second oracle.
// contracts/models.ts
import { z } from 'zod';

export const ModelMetricsSchema = z.object({
  model_name: z.string(),
  model_type: z.enum(['linear', 'boosting', 'hybrid']),
  horizon: z.number().int(),
  da_train: z.number(),
  da_test: z.number(),
  variance_ratio: z.number(),
  rmse: z.number().optional().nullable(),
  mae: z.number().optional().nullable(),
  r2: z.number().optional().nullable(),
  sharpe: z.number().optional().nullable(),
  max_drawdown: z.number().optional().nullable(),
  overfitting_gap: z.number(),
});

export const ModelSummarySchema = z.object({
  model_name: z.string(),
  model_type: z.string(),
  avg_da_test: z.number(),
  best_horizon: z.number().int(),
  best_da: z.number(),
  requires_scaling: z.boolean(),
  supports_early_stopping: z.boolean(),
});

export const ModelComparisonSchema = z.object({
  models: z.array(ModelSummarySchema),
  metrics_by_horizon: z.record(z.string(), z.array(ModelMetricsSchema)),
  best_model_overall: z.string(),
  best_model_by_horizon: z.record(z.string(), z.string()),
  generated_at: z.string().datetime(),
});

export const FeatureImportanceSchema = z.object({
  model_name: z.string(),
  horizon: z.number().int(),
  features: z.record(z.string(), z.number()),
  top_n: z.number().int().default(15),
});

// Types
export type ModelMetrics = z.infer<typeof ModelMetricsSchema>;
export type ModelSummary = z.infer<typeof ModelSummarySchema>;
export type ModelComparison = z.infer<typeof ModelComparisonSchema>;
export type FeatureImportance = z.infer<typeof FeatureImportanceSchema>;
