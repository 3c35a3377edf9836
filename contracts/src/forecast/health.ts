// Health (no auth): /health, /health/ready, /health/live.
// Re-exports of the schemas generated from the forecast service (forecast/api/schemas/*.py) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zServiceHealth,
  zHealthResponse,
  zLivenessResponse,
} from '../generated/forecast/zod.gen';

export const ServiceHealthSchema = zServiceHealth;
export const HealthResponseSchema = zHealthResponse;
export const LivenessResponseSchema = zLivenessResponse;

export type ServiceHealth = z.infer<typeof ServiceHealthSchema>;
export type HealthResponse = z.infer<typeof HealthResponseSchema>;
export type LivenessResponse = z.infer<typeof LivenessResponseSchema>;
