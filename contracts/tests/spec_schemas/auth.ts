// COPIED VERBATIM from contracts/spec/forecast-contracts-zod.md, the in-repository copy of the
// 'Frontend (Zod)' blocks of shared/spec/forecast-contracts.md.
// Do not edit: these are the spec's hand-written schemas, used by the tests as a second oracle.
// contracts/auth.ts
import { z } from 'zod';

export const LoginRequestSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
});

export const TokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer').default('bearer'),
  expires_at: z.string().datetime(),
});

export const UserResponseSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string().email(),
  is_active: z.boolean(),
  created_at: z.string().datetime(),
});

// Types inferidos
export type LoginRequest = z.infer<typeof LoginRequestSchema>;
export type TokenResponse = z.infer<typeof TokenResponseSchema>;
export type UserResponse = z.infer<typeof UserResponseSchema>;
