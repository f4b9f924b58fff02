// chasquid's queue: what is waiting to be delivered, why, and the actions chasquid allows on it.
export * from './items';
export * from './parse';
export * from './read';
