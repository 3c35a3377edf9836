// COPIED VERBATIM from contracts/spec/forecast-contracts-zod.md, the in-repository copy of the
// 'Frontend (Zod)' blocks of shared/spec/forecast-contracts.md.
// Do not edit: these are the spec's hand-written schemas, used by the tests as a second oracle.
// contracts/errors.ts
import { z } from 'zod';

export const ErrorDetailSchema = z.object({
  field: z.string().optional().nullable(),
  message: z.string(),
  code: z.string(),
});

export const ErrorResponseSchema = z.object({
  error: z.string(),
  message: z.string(),
  details: z.array(ErrorDetailSchema).optional().nullable(),
  status_code: z.number().int(),
  timestamp: z.string().datetime(),
});

// Type
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;
