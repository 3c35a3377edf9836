// Forecasts: /forecasts/, /forecasts/latest, /forecasts/consensus, /forecasts/dashboard, /forecasts/by-horizon/{horizon}.
// Re-exports of the schemas generated from the forecast service (forecast/api/schemas/*.py) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zForecastResponse,
  zForecastListResponse,
  zConsensusResponse,
  zForecastDashboard,
} from '../generated/forecast/zod.gen';

export const ForecastResponseSchema = zForecastResponse;
export const ForecastListResponseSchema = zForecastListResponse;
export const ConsensusResponseSchema = zConsensusResponse;
export const ForecastDashboardSchema = zForecastDashboard;

export type ForecastResponse = z.infer<typeof ForecastResponseSchema>;
export type ForecastListResponse = z.infer<typeof ForecastListResponseSchema>;
export type ConsensusResponse = z.infer<typeof ConsensusResponseSchema>;
export type ForecastDashboard = z.infer<typeof ForecastDashboardSchema>;
