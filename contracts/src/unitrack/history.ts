// Prediction history: /history.
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zHistoryItem,
  zHistoryPage,
} from '../generated/unitrack/zod.gen';

export const HistoryItemSchema = zHistoryItem;
export const HistoryPageSchema = zHistoryPage;

export type HistoryItem = z.infer<typeof HistoryItemSchema>;
export type HistoryPage = z.infer<typeof HistoryPageSchema>;
