// mailwright.yaml: the desired state. Load, validate, edit (keeping comments), save.
export * from './types';
export {
  checkSshTarget,
  DEFAULT_SSH_PORT,
  DEFAULT_SSH_USER,
  formatSshTarget,
  parseSshTarget,
  readSshTarget,
  SshTargetError,
  type SshTargetCheck,
  type SshTargetWritten,
  writtenSshTarget,
} from './ssh-target';
// The name rules are the core's (src/core/names.ts); mailwright.yaml's readers and writers use them.
export {
  CATCH_ALL,
  dnsLabelProblem,
  normalizeAliasName,
  normalizeDomainName,
  normalizeEmailAddress,
  normalizeLocalPart,
  normalizeUserAddress,
  type NameCheck,
  type NameNote,
  type UserAddressCheck,
} from '../names';
export { hostNameProblem } from './validate-host';
export { fleetProblems, hostsServing, type FleetProblem } from './fleet';
export { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH, passwordProblem, passwordRefusal } from './password-policy';
export { defaultReportAddress, reportAddresses, tlsReportAddress } from './report-addresses';
export {
  addressProblems,
  ALIAS_DEPTH_LIMIT,
  catchAllProbe,
  deliverableAddresses,
  hasMailboxes,
  mailFlowProblems,
  routeOf,
  targetAddress,
  type DeliverableAddress,
  type MailFlowProblem,
  type Route,
  type RouteEnd,
  type RoutingDomain,
} from './mail-routes';
export { formatIssue, formatIssues, hasErrors } from './issues';
export { validateDocument, type ValidationResult } from './validate';
export { ConfigFileError, configPath, loadConfig, parseConfig, type LoadedConfig } from './load';
export { configToText, editConfigFile, saveConfig, writeFileAtomic } from './save';
export { ConfigEditError } from './edit-nodes';
export {
  addDomain,
  addHost,
  addUser,
  removeAlias,
  removeDomain,
  removeHost,
  removeUser,
  setAlias,
  userRemovalText,
  type NewDomain,
  type UserRemoval,
  type NewHost,
} from './edit';
export { defaultConfigText, type StarterOptions } from './default-config';
export { setDomainDns, setHostAcme, type NewAcme, type NewDnsProvider } from './edit-certificates';
export {
  acmeDirectoryUrl,
  acmeSettings,
  defaultChallenge,
  domainOfName,
  DEFAULT_RENEW_BEFORE_DAYS,
} from './validate-acme';
export {
  DEFAULT_DNS_TTL,
  dnsSecretEnvName,
  normalizeTsigKeyName,
  parseDnsServer,
} from './validate-dns-provider';
export { DEFAULT_SPF_FORM } from './validate-dns-policy';
export {
  domainSendingLimits,
  hasSendingLimits,
  SENDING_LIMIT_RANGE,
  userSendingLimits,
  type EffectiveLimits,
} from './validate-limits';
export { bruteForceSettings, durationSeconds } from './validate-brute-force';
