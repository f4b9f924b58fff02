export * from './installed';
export * from './keys';
export * from './layout';
export * from './record';
export * from './selector';
export * from './decide';
