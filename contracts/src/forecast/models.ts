// Model metrics: /models/, /models/{model_name}, /models/{model_name}/metrics, /models/comparison, /models/{model_name}/feature-importance,
// and /methodology (the definitions behind every number).
// Re-exports of the schemas generated from the forecast service (forecast/api/schemas/*.py) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zModelMetrics,
  zModelSummary,
  zModelComparison,
  zFeatureImportance,
  zHorizonSkill,
  zMethodologyResponse,
} from '../generated/forecast/zod.gen';

export const ModelMetricsSchema = zModelMetrics;
export const ModelSummarySchema = zModelSummary;
export const ModelComparisonSchema = zModelComparison;
export const FeatureImportanceSchema = zFeatureImportance;
export const HorizonSkillSchema = zHorizonSkill;
export const MethodologyResponseSchema = zMethodologyResponse;

export type ModelMetrics = z.infer<typeof ModelMetricsSchema>;
export type ModelSummary = z.infer<typeof ModelSummarySchema>;
export type ModelComparison = z.infer<typeof ModelComparisonSchema>;
export type FeatureImportance = z.infer<typeof FeatureImportanceSchema>;
export type HorizonSkill = z.infer<typeof HorizonSkillSchema>;
export type MethodologyResponse = z.infer<typeof MethodologyResponseSchema>;
