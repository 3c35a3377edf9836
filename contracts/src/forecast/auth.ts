// Authentication: /auth/login, /auth/logout, /auth/me, /auth/refresh.
// Re-exports of the schemas generated from the forecast service (forecast/api/schemas/*.py) OpenAPI document: edit the
// Pydantic models and run `make contracts`, never this file's schemas.
import type { z } from 'zod';

import {
  zLoginRequest,
  zTokenResponse,
  zUserResponse,
  zMessageResponse,
} from '../generated/forecast/zod.gen';

export const LoginRequestSchema = zLoginRequest;
export const TokenResponseSchema = zTokenResponse;
export const UserResponseSchema = zUserResponse;
export const MessageResponseSchema = zMessageResponse;

export type LoginRequest = z.infer<typeof LoginRequestSchema>;
export type TokenResponse = z.infer<typeof TokenResponseSchema>;
export type UserResponse = z.infer<typeof UserResponseSchema>;
export type MessageResponse = z.infer<typeof MessageResponseSchema>;
