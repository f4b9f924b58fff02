export * from './engine';
export * from './journal';
export * from './managed-file';
export * from './planner';
export * from './types';
export * from './wait';
export * from './format';
export * from './fleet';
