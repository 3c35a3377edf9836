// Predictions: /predict, /whatif.
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zPredictRequest,
  zPredictResponse,
  zPrediction,
  zFeatureImpactOut,
  zWhatIfRequest,
  zWhatIfResponse,
} from '../generated/unitrack/zod.gen';

export const PredictRequestSchema = zPredictRequest;
export const PredictResponseSchema = zPredictResponse;
export const PredictionSchema = zPrediction;
export const FeatureImpactOutSchema = zFeatureImpactOut;
export const WhatIfRequestSchema = zWhatIfRequest;
export const WhatIfResponseSchema = zWhatIfResponse;

export type PredictRequest = z.infer<typeof PredictRequestSchema>;
export type PredictResponse = z.infer<typeof PredictResponseSchema>;
export type Prediction = z.infer<typeof PredictionSchema>;
export type FeatureImpactOut = z.infer<typeof FeatureImpactOutSchema>;
export type WhatIfRequest = z.infer<typeof WhatIfRequestSchema>;
export type WhatIfResponse = z.infer<typeof WhatIfResponseSchema>;
