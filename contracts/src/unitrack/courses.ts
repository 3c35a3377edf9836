// Course catalogue: /courses.
// Re-exports of the schemas generated from the UniTrack API (backend/app) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zCourseOut,
} from '../generated/unitrack/zod.gen';

export const CourseOutSchema = zCourseOut;

export type CourseOut = z.infer<typeof CourseOutSchema>;
