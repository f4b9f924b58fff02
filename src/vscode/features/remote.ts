// Bundle "remote": ssh2 and every module that talks SSH. Other bundles reach src/core/remote
// through this one (scripts/build.mjs redirects their imports here), so exactly one copy of
// the connection pool and its state exists.
export * from '../../core/remote';
export { Connections } from '../connections';
export { gatherFacts } from '../../core/facts';
