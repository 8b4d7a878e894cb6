export * from './types.js';
export * from './config.js';
export { AnomalyDetector, type AnomalyDetectorStats } from './detector.js';
export * from './replay.js';
export { syntheticEvents, defaultSyntheticOptions, type SyntheticOptions } from './synthetic.js';
