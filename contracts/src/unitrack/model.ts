// The served model: /model (its features, labels, which path scores it, why, and how it was verified),
// /model/reload (admins).
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zModelFeature,
  zModelInfo,
  zModelLabels,
  zModelReloadResult,
  zModelServing,
  zModelVerification,
} from '../generated/unitrack/zod.gen';

export const ModelFeatureSchema = zModelFeature;
export const ModelInfoSchema = zModelInfo;
export const ModelLabelsSchema = zModelLabels;
export const ModelReloadResultSchema = zModelReloadResult;
export const ModelServingSchema = zModelServing;
export const ModelVerificationSchema = zModelVerification;

export type ModelFeature = z.infer<typeof ModelFeatureSchema>;
export type ModelInfo = z.infer<typeof ModelInfoSchema>;
export type ModelLabels = z.infer<typeof ModelLabelsSchema>;
export type ModelReloadResult = z.infer<typeof ModelReloadResultSchema>;
export type ModelServing = z.infer<typeof ModelServingSchema>;
export type ModelVerification = z.infer<typeof ModelVerificationSchema>;
