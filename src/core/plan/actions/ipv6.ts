// A mail server should be reachable over IPv6 (Gmail shows it in
// Received). When the server has no global IPv6 address and uses netplan, turn IPv6 on in
// sysctl and uncomment the provider's IPv6 lines, apply, and check an address appears.
// Without netplan there is nothing safe to edit: ipv6Notes() tells the user what to do.
import { readRemoteFileIfExists, shellCommand, shellScript } from '../../remote';
import type { Facts } from '../../facts';
import type { Action, ActionPlanner, ApplyContext } from '../types';
import { enableIpv6InNetplan } from './netplan';

export const SYSCTL_CONF = '/etc/sysctl.conf';
const SYSCTL_KEYS = ['all', 'default', 'lo'].map((i) => `net.ipv6.conf.${i}.disable_ipv6`);

/**
 * `/etc/sysctl.conf` with IPv6 enabled: active disable_ipv6 lines are set to 0 in place,
 * missing ones appended; comments and every other line stay.
 */
export function enableIpv6InSysctl(original: string): string {
  const seen = new Set<string>();
  const lines = original.split('\n').map((line) => {
    const m = /^(\s*)(net\.ipv6\.conf\.(?:all|default|lo)\.disable_ipv6)\s*=\s*(\S*)\s*$/.exec(line);
    if (!m) return line;
    seen.add(m[2]!);
    return `${m[1]}${m[2]} = 0`;
  });
  const missing = SYSCTL_KEYS.filter((k) => !seen.has(k));
  if (missing.length === 0) return lines.join('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return [...lines, '# IPv6 on for the mail server (Mailwright)', ...missing.map((k) => `${k} = 0`), ''].join(
    '\n',
  );
}

/** Needs IPv6 work: no global IPv6 address. */
function lacksIpv6(facts: Facts): boolean {
  return facts.addresses.ipv6.length === 0;
}

/** What the user must know when IPv6 is missing and no action can fix it (for Plan.notes). */
export function ipv6Notes(facts: Facts): string[] {
  if (!lacksIpv6(facts) || facts.ipv6.netplanFiles.length > 0) return [];
  return [
    `The server has no global IPv6 address and no netplan configuration Mailwright could edit${
      facts.ipv6.disabledBySysctl ? ' (IPv6 is also disabled by sysctl)' : ''
    }. Enable IPv6 in your provider's panel (Contabo: Your services > Manage > IPv6), add the address it assigns to the network configuration, then check again: mail works over IPv4 alone, but receivers such as Gmail judge a server reachable over both better.`,
  ];
}

async function readText(ctx: ApplyContext, path: string): Promise<string | undefined> {
  return (await readRemoteFileIfExists(ctx.conn, path))?.toString('utf8');
}

async function enableInSysctl(ctx: ApplyContext): Promise<void> {
  const current = (await readText(ctx, SYSCTL_CONF)) ?? '';
  const desired = enableIpv6InSysctl(current);
  if (desired !== current) {
    await ctx.files.write(SYSCTL_CONF, desired, { mode: '0644', owner: 'root:root' });
    ctx.log(`${SYSCTL_CONF}: disable_ipv6 = 0 for all, default and lo`);
  }
  // Containers may forbid writing net.ipv6 keys: the file is right, the running value follows at boot.
  const r = await ctx.run(shellCommand(['sysctl', '-p', SYSCTL_CONF]), { check: false });
  if (r.exitCode !== 0) ctx.log(`sysctl -p failed (${r.stderr.trim() || `exit ${r.exitCode}`}); continuing`);
}

async function enableInNetplan(ctx: ApplyContext, files: readonly string[]): Promise<number> {
  let edited = 0;
  for (const path of files) {
    const current = await readText(ctx, path);
    if (current === undefined) continue;
    const edit = enableIpv6InNetplan(current);
    if (edit.errors.length > 0) {
      throw new Error(
        `Uncommenting the IPv6 lines of ${path} would make it invalid: ${edit.errors.join('; ')}`,
      );
    }
    if (edit.uncommented.length === 0) continue;
    await ctx.files.write(path, edit.text);
    ctx.log(`${path}: uncommented lines ${edit.uncommented.join(', ')} (${edit.ipv6Addresses.join(', ')})`);
    edited++;
  }
  return edited;
}

// Waits up to $1 seconds for a global IPv6 address (DAD takes a moment after netplan apply).
const WAIT_FOR_IPV6 = `i=0
while [ "$i" -lt "$1" ]; do
  ip -6 -o addr show scope global | grep -q inet6 && exit 0
  sleep 1; i=$((i+1))
done
exit 1`;

function enableIpv6Action(facts: Facts): Action {
  const files = facts.ipv6.netplanFiles;
  return {
    id: 'ipv6',
    kind: 'ipv6',
    title: 'Enable IPv6 (sysctl and netplan)',
    reason: `the server has no global IPv6 address${
      facts.ipv6.disabledBySysctl ? ' and IPv6 is disabled by sysctl' : ''
    }; the provider's IPv6 lines in ${files.join(', ')} are turned on`,
    async apply(ctx) {
      await enableInSysctl(ctx);
      const edited = await enableInNetplan(ctx, files);
      if (edited === 0) ctx.log('No commented IPv6 lines in the netplan files; applying them as they are.');
      // generate validates everything netplan would render before apply touches the network.
      await ctx.run(shellCommand(['netplan', 'generate']));
      await ctx.run(shellCommand(['netplan', 'apply']));
    },
    async verify(ctx) {
      const r = await ctx.run(shellScript(WAIT_FOR_IPV6, ['15']), { check: false });
      if (r.exitCode !== 0) {
        throw new Error(
          'No global IPv6 address after netplan apply: check that the provider assigned one (its panel shows the address and gateway) and that it matches the netplan file.',
        );
      }
    },
  };
}

export const planIpv6: ActionPlanner = (ctx) => {
  if (!lacksIpv6(ctx.facts) || ctx.facts.ipv6.netplanFiles.length === 0) return [];
  return [enableIpv6Action(ctx.facts)];
};
