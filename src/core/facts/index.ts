export * from './apt-policy';
export * from './gather';
export * from './parse';
export * from './script';
export * from './types';
