// COPIED VERBATIM from contracts/spec/forecast-contracts-zod.md, the in-repository copy of the
// 'Frontend (Zod)' blocks of shared/spec/forecast-contracts.md.
// Do not edit: these are the spec's hand-written schemas, used by the tests as a second oracle.
// contracts/images.ts
import { z } from 'zod';

export const ImageMetadataSchema = z.object({
  image_id: z.string(),
  image_type: z.enum([
    'model_ranking', 'metrics_heatmap', 'backtest_equity',
    'backtest_drawdown', 'forecast_fan_chart', 'feature_importance'
  ]),
  model_name: z.string().optional().nullable(),
  horizon: z.number().int().optional().nullable(),
  generated_at: z.string().datetime(),
  file_size_bytes: z.number().int(),
  dimensions: z.tuple([z.number().int(), z.number().int()]),
});

export const ImageListResponseSchema = z.object({
  images: z.array(ImageMetadataSchema),
  total: z.number().int(),
});

// Types
export type ImageMetadata = z.infer<typeof ImageMetadataSchema>;
export type ImageListResponse = z.infer<typeof ImageListResponseSchema>;
