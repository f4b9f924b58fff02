export * from './fetch-conf';
export * from './git-command';
export * from './secret-paths';
export * from './snapshot';
export * from './history';
export * from './history-choice';
