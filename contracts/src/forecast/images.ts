// Charts: /images/, /images/models (the PNG endpoints return binary, no schema).
// Re-exports of the schemas generated from the forecast service (forecast/api/schemas/*.py) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zImageMetadata,
  zImageListResponse,
} from '../generated/forecast/zod.gen';

export const ImageMetadataSchema = zImageMetadata;
export const ImageListResponseSchema = zImageListResponse;

export type ImageMetadata = z.infer<typeof ImageMetadataSchema>;
export type ImageListResponse = z.infer<typeof ImageListResponseSchema>;
