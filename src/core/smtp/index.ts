// The test receiver (./test-receiver) is left out on purpose: it needs a devDependency.
export * from './dkim-verify';
export * from './probe';
export * from './reply-reader';
export * from './send';
export * from './verify-login';
