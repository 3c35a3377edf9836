// Runs: /runs (the kept runs; ?run_id= on the read endpoints reads one of them).
// Re-exports of the schemas generated from the forecast service (forecast/api/schemas/*.py) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zRunInfo,
  zRunListResponse,
} from '../generated/forecast/zod.gen';

export const RunInfoSchema = zRunInfo;
export const RunListResponseSchema = zRunListResponse;

export type RunInfo = z.infer<typeof RunInfoSchema>;
export type RunListResponse = z.infer<typeof RunListResponseSchema>;
