export * from './conf';
export * from './password';
export * from './users';
