export * from './archive-names';
export * from './create';
export * from './crypto';
export * from './manifest';
export * from './open';
export * from './restore';
export * from './schedule';
