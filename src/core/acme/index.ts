export * from './client';
export * from './dns01';
export * from './errors';
export * from './http01';
export * from './issue';
export * from './renewal';
export * from './responders';
