// A mail domain's DNS: the records it needs, their linters, export and publishing.
export * from './model';
export * from './address';
export {
  caaIssuerFor,
  expectedRecords,
  mtaStsInstructions,
  mtaStsPolicy,
  MTA_STS_MAX_AGE_SECONDS,
  publishableAddresses,
  spfIncludeName,
  type CaaIssuer,
  type ExpectedInput,
  type MtaStsPolicy,
} from './expected';
export * from './dmarc';
export * from './spf';
export * from './lookup';
export * from './check';
export * from './dnsbl';
export * from './reachability';
export * from './mta-sts';
export * from './zone-export';
export * from './publish';
