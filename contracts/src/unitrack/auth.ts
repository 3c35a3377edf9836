// Authentication: /auth/me.
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zMeResponse,
} from '../generated/unitrack/zod.gen';

export const MeResponseSchema = zMeResponse;

export type MeResponse = z.infer<typeof MeResponseSchema>;
