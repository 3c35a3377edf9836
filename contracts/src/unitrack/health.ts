// Health (no auth): /healthz, /readyz.
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zHealthResponse,
  zReadinessResponse,
} from '../generated/unitrack/zod.gen';

export const HealthResponseSchema = zHealthResponse;
export const ReadinessResponseSchema = zReadinessResponse;

export type HealthResponse = z.infer<typeof HealthResponseSchema>;
export type ReadinessResponse = z.infer<typeof ReadinessResponseSchema>;
