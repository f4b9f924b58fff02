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
export { normalizeDomainName, dnsLabelProblem, type NameCheck, type NameNote } from './domain-name';
export {
  CATCH_ALL,
  normalizeAliasName,
  normalizeEmailAddress,
  normalizeLocalPart,
  normalizeUserAddress,
  type UserAddressCheck,
} from './mailbox';
export { hostNameProblem } from './validate-host';
export { fleetProblems, hostsServing, type FleetProblem } from './fleet';
export { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH, passwordProblem } from './password-policy';
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
