// hosts[]: the servers, each with its SSH access, mail host name and domains.
import { isMap, isNode, isScalar, isSeq, type Node } from 'yaml';
import { normalizeDomainName } from '../names';
import { fleetProblems } from './fleet';
import { acceptName, DuplicateTracker } from './name-issues';
import { readSshTarget, SSH_TARGET_EXAMPLE, SSH_TARGET_FORMAT, type SshTargetWritten } from './ssh-target';
import {
  AUTH_METHODS,
  CHASQUID_SOURCES,
  type AuthMethod,
  type DomainConfig,
  type HostConfig,
  type SshTarget,
} from './types';
import { readAcme } from './validate-acme';
import { readBruteForce } from './validate-brute-force';
import { readDomain } from './validate-domain';
import { readHostLimits } from './validate-limits';
import { readMonitor } from './validate-monitor';
import { readBackups } from './validate-backups';
import { childPath, itemPath, type ConfigReader } from './yaml-reader';

export const HOST_KEYS = [
  'name',
  'ssh',
  'identityFile',
  'auth',
  'jump',
  'identityAgent',
  'mailHost',
  'chasquid',
  'domains',
  'acme',
  'limits',
  'bruteForce',
  'monitor',
  'backups',
] as const;
export const HOST_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const HOST_EXAMPLE = `{ name: sandbox, ssh: '${SSH_TARGET_EXAMPLE}', mailHost: mail.example.com }`;
const IDENTITY_FILE_EXAMPLE = '~/.ssh/id_ed25519';
const JUMP_EXAMPLE = 'admin@bastion.example.com:22';
const IDENTITY_AGENT_EXAMPLE = '~/.1password/agent.sock';

export function readHosts(reader: ConfigReader, node: Node, path: string): HostConfig[] | undefined {
  const items = reader.items(node, path, `hosts: [${HOST_EXAMPLE}]`);
  if (items === undefined) return undefined;
  const duplicates = new DuplicateTracker(reader.issues, 'host');
  const hosts: Array<HostConfig | undefined> = items.map((item, index) => {
    const host = readHost(reader, item, itemPath(path, index));
    // Checked on the name alone, so a repeat is reported even when either entry has other errors.
    const nameNode = nameNodeOf(item);
    const name = nameText(nameNode);
    const repeated =
      nameNode !== undefined &&
      name !== undefined &&
      hostNameProblem(name) === undefined &&
      !duplicates.add(name, nameNode, childPath(itemPath(path, index), 'name'));
    return repeated ? undefined : host;
  });
  reportFleetProblems(reader, items, hosts, path);
  return hosts.every((host) => host !== undefined) ? hosts : undefined;
}

/** Why a host label is invalid, if it is (also for input boxes). */
export function hostNameProblem(name: string): string | undefined {
  if (HOST_NAME_PATTERN.test(name)) return undefined;
  return 'use 1-63 lowercase letters, digits or "-", starting with a letter or digit';
}

function readHost(reader: ConfigReader, node: Node, path: string): HostConfig | undefined {
  const fields = reader.fields(node, path, HOST_KEYS, HOST_EXAMPLE);
  if (fields === undefined) return undefined;
  const nameNode = reader.required(fields, node, path, 'name', 'name: sandbox');
  const name = nameNode && readHostName(reader, nameNode, childPath(path, 'name'));
  const sshNode = reader.required(fields, node, path, 'ssh', `ssh: ${SSH_TARGET_EXAMPLE}`);
  const ssh = sshNode && readSsh(reader, sshNode, childPath(path, 'ssh'));
  const identityNode = fields.get('identityFile')?.value;
  const identityFile =
    identityNode && readIdentityFile(reader, identityNode, childPath(path, 'identityFile'));
  const authNode = fields.get('auth')?.value;
  const auth = authNode ? reader.choice(authNode, childPath(path, 'auth'), AUTH_METHODS) : undefined;
  const jumpNode = fields.get('jump')?.value;
  const jump = jumpNode && readJump(reader, jumpNode, childPath(path, 'jump'));
  const agentNode = fields.get('identityAgent')?.value;
  const identityAgent = agentNode && readIdentityAgent(reader, agentNode, childPath(path, 'identityAgent'));
  const mailHostNode = reader.required(fields, node, path, 'mailHost', 'mailHost: mail.example.com');
  const mailHost = mailHostNode && readMailHost(reader, mailHostNode, childPath(path, 'mailHost'));
  const chasquidNode = fields.get('chasquid')?.value;
  const chasquid = chasquidNode
    ? reader.choice(chasquidNode, childPath(path, 'chasquid'), CHASQUID_SOURCES)
    : undefined;
  const domainsNode = fields.get('domains')?.value;
  const domains = domainsNode ? readDomains(reader, domainsNode, childPath(path, 'domains')) : [];
  const acmeNode = fields.get('acme')?.value;
  const acme = acmeNode && readAcme(reader, acmeNode, childPath(path, 'acme'), mailHost, domains);
  const bruteForceNode = fields.get('bruteForce')?.value;
  const bruteForce = bruteForceNode && readBruteForce(reader, bruteForceNode, childPath(path, 'bruteForce'));

  const limitsNode = fields.get('limits')?.value;
  const limits = limitsNode && readHostLimits(reader, limitsNode, childPath(path, 'limits'));

  const monitorNode = fields.get('monitor')?.value;
  const monitor = monitorNode && readMonitor(reader, monitorNode, childPath(path, 'monitor'));
  const backupsNode = fields.get('backups')?.value;
  const backups = backupsNode && readBackups(reader, backupsNode, childPath(path, 'backups'));

  const authValid = checkAuth(reader, path, auth, authNode, identityFile, identityNode);
  if (
    !name ||
    !ssh ||
    (identityNode && !identityFile) ||
    (authNode && !auth) ||
    (jumpNode && !jump) ||
    (agentNode && !identityAgent) ||
    !mailHost ||
    (chasquidNode && !chasquid) ||
    !domains ||
    (acmeNode && !acme) ||
    (limitsNode && !limits) ||
    (bruteForceNode && !bruteForce) ||
    (monitorNode && !monitor) ||
    (backupsNode && !backups) ||
    !authValid
  )
    return undefined;
  return {
    name,
    ssh: ssh.target,
    ...((!ssh.written.user || !ssh.written.port) && { sshWritten: ssh.written }),
    ...(identityFile && { identityFile }),
    ...(auth && { auth }),
    ...(jump && jump.length > 0 && { jump }),
    ...(identityAgent && { identityAgent }),
    mailHost,
    ...(chasquid && { chasquid }),
    domains,
    ...(acme && { acme }),
    ...(limits && { limits }),
    ...(bruteForce && { bruteForce }),
    ...(monitor && { monitor }),
    ...(backups?.schedule && { backups }),
  };
}

function readHostName(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, 'sandbox');
  if (text === undefined) return undefined;
  const problem = hostNameProblem(text);
  if (problem === undefined) return text;
  const suggestion = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63);
  const example = HOST_NAME_PATTERN.test(suggestion) ? suggestion : 'sandbox';
  reader.issues.error(
    node,
    path,
    `"${text}" is not a valid host name: ${problem}.`,
    `For example: name: ${example}`,
  );
  return undefined;
}

function readSsh(
  reader: ConfigReader,
  node: Node,
  path: string,
  text = reader.text(node, path, SSH_TARGET_EXAMPLE),
): { target: SshTarget; written: SshTargetWritten } | undefined {
  if (text === undefined) return undefined;
  const check = readSshTarget(text);
  if (check.ok) return check;
  reader.issues.error(
    node,
    path,
    `"${text}" is not a valid SSH target (${check.reason}).`,
    `Expected ${SSH_TARGET_FORMAT}, e.g. ${SSH_TARGET_EXAMPLE}`,
  );
  return undefined;
}

/** `jump:` one `[user@]host[:port]` (or Host alias) or a list of them, checked like `ssh:`, kept as written. */
function readJump(reader: ConfigReader, node: Node, path: string): string[] | undefined {
  const items = reader.texts(node, path, JUMP_EXAMPLE, true);
  if (items === undefined) return undefined;
  const checked = items.map(([text, item], index) =>
    readSsh(reader, item, isSeq(node) ? itemPath(path, index) : path, text) ? text.trim() : undefined,
  );
  return checked.every((t) => t !== undefined) ? checked : undefined;
}

function readIdentityAgent(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, IDENTITY_AGENT_EXAMPLE);
  if (text === undefined) return undefined;
  if (text.trim() !== '') return text;
  reader.issues.error(
    node,
    path,
    'is empty.',
    `Give the agent's socket, e.g. identityAgent: ${IDENTITY_AGENT_EXAMPLE}, or leave the key out to use SSH_AUTH_SOCK.`,
  );
  return undefined;
}

function readIdentityFile(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, IDENTITY_FILE_EXAMPLE);
  if (text === undefined) return undefined;
  if (text.trim() === '') {
    reader.issues.error(
      node,
      path,
      'is empty.',
      `Give the path of a private key, e.g. ${IDENTITY_FILE_EXAMPLE}`,
    );
    return undefined;
  }
  if (text.endsWith('.pub')) {
    const privateKey = text.slice(0, -'.pub'.length);
    reader.issues.error(
      node,
      path,
      `"${text}" is a public key; SSH needs the private key.`,
      `Drop the .pub suffix, e.g. identityFile: ${privateKey}`,
    );
    return undefined;
  }
  return text;
}

function checkAuth(
  reader: ConfigReader,
  path: string,
  auth: AuthMethod | undefined,
  authNode: Node | undefined,
  identityFile: string | undefined,
  identityNode: Node | undefined,
): boolean {
  // auth: key without identityFile is fine: the SSH configuration may name the keys (IdentityFile).
  if (identityFile !== undefined && identityNode !== undefined && (auth === 'agent' || auth === 'password')) {
    reader.issues.warning(
      identityNode,
      childPath(path, 'identityFile'),
      `is not used because auth is ${auth}.`,
      'Remove identityFile, or set auth: key to log in with it.',
    );
  }
  return true;
}

function readMailHost(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, 'mail.example.com');
  if (text === undefined) return undefined;
  const check = normalizeDomainName(text);
  return acceptName(reader.issues, check, text, node, path, 'mail host name (FQDN)', 'mail.example.com');
}

function readDomains(reader: ConfigReader, node: Node, path: string): DomainConfig[] | undefined {
  const items = reader.items(node, path, 'domains: [{ name: example.com, users: [alice] }]');
  if (items === undefined) return undefined;
  const duplicates = new DuplicateTracker(reader.issues, 'domain');
  const domains = items.map((item, index) => {
    const domain = readDomain(reader, item, itemPath(path, index));
    const nameNode = nameNodeOf(item);
    const name = normalizeDomainName(nameText(nameNode) ?? '');
    const repeated =
      nameNode !== undefined &&
      name.ok &&
      !duplicates.add(name.value, nameNode, childPath(itemPath(path, index), 'name'));
    return repeated ? undefined : domain;
  });
  return domains.every((domain) => domain !== undefined) ? domains : undefined;
}

/** Hosts sharing a domain serve it together: report what they must agree on (config/fleet.ts). */
function reportFleetProblems(
  reader: ConfigReader,
  items: readonly Node[],
  hosts: ReadonlyArray<HostConfig | undefined>,
  path: string,
): void {
  // Only when every host was read: a half-read entry would look like a disagreement.
  if (!hosts.every((host) => host !== undefined)) return;
  for (const problem of fleetProblems(hosts)) {
    const domainNode = domainNodeAt(items[problem.hostIndex], problem.domainIndex);
    const domainPath = itemPath(childPath(itemPath(path, problem.hostIndex), 'domains'), problem.domainIndex);
    const fieldNode = fieldNodeOf(domainNode, problem.field);
    reader.issues.error(
      fieldNode ?? nameNodeOf(domainNode) ?? domainNode ?? items[problem.hostIndex],
      problem.field.split('.').reduce(childPath, domainPath),
      problem.message,
      problem.hint,
    );
  }
}

function domainNodeAt(hostNode: Node | undefined, index: number): Node | undefined {
  const domains = isMap(hostNode) ? hostNode.get('domains') : undefined;
  const item: unknown = isSeq(domains) ? domains.items[index] : undefined;
  return isNode(item) ? item : undefined;
}

function nameText(node: Node | undefined): string | undefined {
  return isScalar(node) && node.value !== null ? String(node.value) : undefined;
}

/** The node of a dotted field (`dkim.selector`) of a mapping, when written in the file. */
function fieldNodeOf(node: Node | undefined, field: string): Node | undefined {
  const found: unknown = isMap(node) ? node.getIn(field.split('.'), true) : undefined;
  return isNode(found) ? found : undefined;
}

function nameNodeOf(node: Node | undefined): Node | undefined {
  const name: unknown = isMap(node) ? node.get('name', true) : undefined;
  return isNode(name) ? name : undefined;
}
