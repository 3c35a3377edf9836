// The served model: /model (which path scores it, why, and how it was verified), /model/reload (admins).
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zModelInfo,
  zModelReloadResult,
  zModelServing,
  zModelVerification,
} from '../generated/unitrack/zod.gen';

export const ModelInfoSchema = zModelInfo;
export const ModelReloadResultSchema = zModelReloadResult;
export const ModelServingSchema = zModelServing;
export const ModelVerificationSchema = zModelVerification;

export type ModelInfo = z.infer<typeof ModelInfoSchema>;
export type ModelReloadResult = z.infer<typeof ModelReloadResultSchema>;
export type ModelServing = z.infer<typeof ModelServingSchema>;
export type ModelVerification = z.infer<typeof ModelVerificationSchema>;
