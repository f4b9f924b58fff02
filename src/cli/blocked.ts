// mailwright blocked: the addresses the server blocks after repeated failed SMTP logins, and
// --unblock ADDRESS to lift one block.
import { blockedAddress, listBlocked, unblock, type BlockedList } from '../core/brute-force';
import { bruteForceSettings } from '../core/config';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { info, out, printJson } from './output';

export const blockedCommand: CommandFn = async ({ flags }, signal) => {
  const address = flags.unblock as string | undefined;
  // A wrong address is refused before connecting.
  if (address !== undefined) blockedAddress(address);
  return withContext(flags as ConnectFlags, async (context) => {
    const t = await context.target();
    if (address !== undefined) {
      const after = await unblock(t.conn, address, signal);
      const unblocked = blockedAddress(address);
      if (flags.json) printJson({ host: t.host.name, unblocked, ...after });
      else
        info(`${t.host.name}: ${unblocked} is no longer blocked (${after.addresses.length} still blocked).`);
      return 0;
    }
    const list = await listBlocked(t.conn, signal);
    if (flags.json) printJson({ host: t.host.name, ...list });
    else printList(t.host.name, list, bruteForceSettings(t.host).enabled);
    return 0;
  });
};

function printList(host: string, list: BlockedList, enabled: boolean): void {
  if (!list.jail) {
    info(
      enabled
        ? `${host}: Mailwright's fail2ban jail is not on the server yet: run mailwright apply.`
        : `${host}: bruteForce is off in mailwright.yaml: nothing is blocked by Mailwright.`,
    );
    return;
  }
  if (list.addresses.length === 0) info(`${host}: no address is blocked.`);
  else {
    info(`${host}: ${list.addresses.length} address(es) blocked on the mail ports:`);
    out(...list.addresses);
  }
  // Elements of the firewall set that are not one address (someone else put them there).
  for (const u of list.unreadable) info(`not an address, left as it is: ${u}`);
}
