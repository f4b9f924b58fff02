// Pure readers/writers for chasquid's files; no I/O here, callers read and write the bytes.
export * from './aliases';
export { ChasquidConf, type ConfEntry } from './conf';
export {
  CONF_FIELDS,
  fqdnProblem,
  isGoDuration,
  type ConfFieldSpec,
  type ConfFieldType,
} from './conf-schema';
export { decodeConfScalar, formatConfValue, type ConfValue } from './conf-values';
export { type ChasquidDiagnostic } from './diagnostic';
export * from './password';
export { quoteBytes, quoteString } from './prototext-string';
export * from './users';
export * from './version';
export * from './forward-guard';
export * from './paths';
export * from './package';
export * from './source';
export * from './sending-limits';
