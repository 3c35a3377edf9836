// COPIED VERBATIM from contracts/spec/forecast-contracts-zod.md, the in-repository copy of the
// 'Frontend (Zod)' blocks of shared/spec/forecast-contracts.md.
// Do not edit: these are the spec's hand-written schemas, used by the tests as a second oracle.
// contracts/forecasts.ts
import { z } from 'zod';

export const ForecastResponseSchema = z.object({
  model: z.string(),
  horizon: z.number().int().min(1).max(30),
  prediction: z.number(),
  prediction_price: z.number().optional().nullable(),
  direction: z.enum(['up', 'down']),
  confidence: z.number().min(0).max(1),
  prediction_date: z.string(), // ISO date string
  generated_at: z.string().datetime(),
});

export const ForecastListResponseSchema = z.object({
  forecasts: z.array(ForecastResponseSchema),
  total: z.number().int(),
  page: z.number().int().default(1),
  page_size: z.number().int().default(50),
});

export const ConsensusResponseSchema = z.object({
  consensus_prediction: z.number(),
  consensus_direction: z.enum(['up', 'down']),
  confidence: z.number(),
  models_used: z.array(z.string()),
  weights: z.record(z.string(), z.number()),
  horizon: z.number().int(),
  generated_at: z.string().datetime(),
});

export const ForecastDashboardSchema = z.object({
  latest_forecasts: z.array(ForecastResponseSchema),
  consensus: ConsensusResponseSchema,
  best_model: z.string(),
  best_model_da: z.number(),
  avg_da_all_models: z.number(),
  last_actual_price: z.number(),
  last_actual_date: z.string(),
  generated_at: z.string().datetime(),
});

// Types
export type ForecastResponse = z.infer<typeof ForecastResponseSchema>;
export type ForecastListResponse = z.infer<typeof ForecastListResponseSchema>;
export type ConsensusResponse = z.infer<typeof ConsensusResponseSchema>;
export type ForecastDashboard = z.infer<typeof ForecastDashboardSchema>;
