// Zod schemas and inferred types of the UniTrack API (backend/app), one module per domain.
export * from './auth';
export * from './courses';
export * from './predictions';
export * from './history';
export * from './health';
export * from './model';
export * from './errors';

// The generator's operation-level schemas (request bodies, query parameters, endpoint responses).
export * as generated from '../generated/unitrack/zod.gen';
