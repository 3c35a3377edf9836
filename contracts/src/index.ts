// Both APIs, namespaced: import { forecast, unitrack } from '@unitrack/contracts'. Prefer the subpath
// imports ('@unitrack/contracts/forecast') in application code.
export * as forecast from './forecast';
export * as unitrack from './unitrack';
