// Zod schemas and inferred types of the forecast service (forecast/api/schemas/*.py), one module per domain.
export * from './auth';
export * from './forecasts';
export * from './models';
export * from './images';
export * from './runs';
export * from './assets';
export * from './health';
export * from './errors';

// The generator's operation-level schemas (request bodies, query parameters, endpoint responses).
export * as generated from '../generated/forecast/zod.gen';
