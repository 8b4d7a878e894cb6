export * from './random.js';
export * from './features.js';
export * from './kmeans.js';
export * from './naming.js';
export * from './model.js';
