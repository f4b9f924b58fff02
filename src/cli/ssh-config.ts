// mailwright ssh-config: a host's SSH login as Mailwright will use it, each value with its origin
// (mailwright.yaml, a line of ~/.ssh/config, a default). Nothing connects.
import { checkHostNameKnown, describeTarget, type ResolvedSsh } from '../core/remote';
import type { CommandFn } from './command-types';
import { resolveFromFlags, type ConnectFlags } from './connect';
import { info, out, printJson } from './output';

/** One row per value: name, value, origin. */
export function explainLines(name: string, ssh: ResolvedSsh, indent = ''): string[] {
  const o = ssh.origins;
  const rows: [string, string, string | undefined][] = [
    ['user', ssh.target.user, o.user],
    ['host', ssh.target.host, o.host],
    ['port', String(ssh.target.port), o.port],
    ['auth', ssh.auth, o.auth],
    ...ssh.identityFiles.map((f, i): [string, string, string | undefined] => [
      i === 0 ? 'identity files' : '',
      f,
      o[`identityFiles[${i}]`],
    ]),
    ['identities only', ssh.identitiesOnly ? 'yes' : 'no', o.identitiesOnly],
  ];
  if (o.identityAgent) rows.push(['identity agent', ssh.identityAgent ?? 'none', o.identityAgent]);
  if (ssh.knownHostsFiles.length > 0)
    rows.push(['known hosts', ssh.knownHostsFiles.join(' '), o.knownHostsFiles]);
  if (ssh.connectTimeoutMs !== undefined)
    rows.push(['connect timeout', `${ssh.connectTimeoutMs / 1000} s`, o.connectTimeout]);
  if (ssh.keepaliveIntervalMs !== undefined)
    rows.push(['keepalive', `${ssh.keepaliveIntervalMs / 1000} s`, o.keepaliveInterval]);
  if (ssh.jumps.length > 0)
    rows.push(['jumps', ssh.jumps.map((j) => describeTarget(j.target)).join(' -> '), o.proxyJump]);
  const width = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.min(48, Math.max(...rows.map((r) => r[1].length)));
  return [
    `${indent}${name}: ${describeTarget(ssh.target)}${ssh.configFile ? ` (SSH configuration: ${ssh.configFile})` : ''}`,
    ...rows.map(
      ([k, v, from]) => `${indent}  ${k.padEnd(width)}  ${v.padEnd(valueWidth)}  ${from ?? 'default'}`,
    ),
    ...ssh.jumps.flatMap((j, i) => explainLines(`jump ${i + 1} (${j.alias})`, j, `${indent}  `)),
  ];
}

export const sshConfigCommand: CommandFn = async ({ flags }) => {
  const { name, ssh } = await resolveFromFlags(flags as ConnectFlags);
  await checkHostNameKnown(ssh);
  if (flags.json) printJson({ name, ...ssh });
  else out(...explainLines(name, ssh));
  for (const warning of ssh.warnings) info(`mailwright: ${warning}`);
  return 0;
};
