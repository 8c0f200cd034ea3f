/** cqamine library API. */
export * from './core/errors.js';
export * from './core/sparse.js';
export * from './core/dense.js';
export * from './core/frame.js';
export * from './core/adata.js';
export * from './core/step.js';
export * from './core/rng.js';
export * from './core/log.js';
export * from './core/atomic.js';
export { VERSION } from './core/version.js';
