// Assets: /assets (the assets of a run; ?asset= on the forecasts, models and images endpoints reads one of them).
// Re-exports of the schemas generated from the forecast service (forecast/api/schemas/*.py) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zAssetInfo,
  zAssetListResponse,
} from '../generated/forecast/zod.gen';

export const AssetInfoSchema = zAssetInfo;
export const AssetListResponseSchema = zAssetListResponse;

export type AssetInfo = z.infer<typeof AssetInfoSchema>;
export type AssetListResponse = z.infer<typeof AssetListResponseSchema>;
