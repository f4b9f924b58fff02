export * from './connection';
export * from './errors';
export * from './files';
export * from './fingerprint';
export * from './known-hosts';
export * from './pool';
export * from './quote';
export * from './secrets';
