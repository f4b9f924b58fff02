export * from './blocked';
export * from './jail';
