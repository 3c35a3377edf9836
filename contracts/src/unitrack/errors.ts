// The single error shape of every 4xx/5xx.
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zErrorDetail,
  zErrorResponse,
} from '../generated/unitrack/zod.gen';

export const ErrorDetailSchema = zErrorDetail;
export const ErrorResponseSchema = zErrorResponse;

export type ErrorDetail = z.infer<typeof ErrorDetailSchema>;
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
