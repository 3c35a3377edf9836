// Predictions: /predict, /predict/batch, /whatif.
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zBatchItem,
  zBatchPredictRequest,
  zBatchPredictResponse,
  zPredictRequest,
  zPredictResponse,
  zPrediction,
  zFeatureImpactOut,
  zWhatIfRequest,
  zWhatIfResponse,
} from '../generated/unitrack/zod.gen';

export const BatchItemSchema = zBatchItem;
export const BatchPredictRequestSchema = zBatchPredictRequest;
export const BatchPredictResponseSchema = zBatchPredictResponse;
export const PredictRequestSchema = zPredictRequest;
export const PredictResponseSchema = zPredictResponse;
export const PredictionSchema = zPrediction;
export const FeatureImpactOutSchema = zFeatureImpactOut;
export const WhatIfRequestSchema = zWhatIfRequest;
export const WhatIfResponseSchema = zWhatIfResponse;

export type BatchItem = z.infer<typeof BatchItemSchema>;
export type BatchPredictRequest = z.infer<typeof BatchPredictRequestSchema>;
export type BatchPredictResponse = z.infer<typeof BatchPredictResponseSchema>;
export type PredictRequest = z.infer<typeof PredictRequestSchema>;
export type PredictResponse = z.infer<typeof PredictResponseSchema>;
export type Prediction = z.infer<typeof PredictionSchema>;
export type FeatureImpactOut = z.infer<typeof FeatureImpactOutSchema>;
export type WhatIfRequest = z.infer<typeof WhatIfRequestSchema>;
export type WhatIfResponse = z.infer<typeof WhatIfResponseSchema>;
