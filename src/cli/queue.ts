// mailwright queue [list|show ID|delete ID]: what chasquid still has to deliver, and the two
// things chasquid allows on one message (see docs/queue.md).
import {
  deleteQueueMessage,
  QueueItemGoneError,
  queueIdProblem,
  readQueue,
  showQueueMessage,
  type QueueListing,
} from '../core/queue';
import { printable } from '../core/printable';
import { ENGLISH } from '../panels/l10n';
import { formatSize, queueItemView, queueSummary } from '../panels/queue-view';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { info, linesOf, out, printJson, UsageError, type TextLine } from './output';
import { isInteractive, promptYesNo } from './prompt';

type QueueFlags = ConnectFlags & { json?: boolean; yes?: boolean };

/** The listing as lines: a header, then each message with its details indented. */
export function queueLines(host: string, listing: QueueListing): TextLine[] {
  const n = listing.items.length;
  const lines: TextLine[] = [
    `${host}: ${n === 1 ? '1 message' : `${n} messages`} queued (${queueSummary(listing, ENGLISH)}; chasquid ${printable(listing.chasquidState)})`,
  ];
  for (const item of listing.items) {
    const view = queueItemView(item, listing, ENGLISH);
    lines.push('', `${view.label}  ${view.description}`, ...view.details.map((d) => `  ${d}`));
  }
  if (listing.unreadable.length > 0)
    lines.push(
      '',
      `Not queue items (chasquid skips them too): ${listing.unreadable.map((f) => printable(f)).join(', ')}`,
    );
  return lines;
}

function queueId(text: string | undefined): string {
  const problem = queueIdProblem(text ?? '');
  if (problem) throw new UsageError(`${problem}.`);
  return text!;
}

/** A message that left the queue meanwhile is the user's news, not a crash. */
function gone(e: unknown): never {
  if (e instanceof QueueItemGoneError) throw new UsageError(e.message);
  throw e;
}

export const queueListCommand: CommandFn = async ({ flags: given }, signal) => {
  const flags = given as QueueFlags;
  return withContext(flags, async (context) => {
    const host = context.host();
    const listing = await readQueue(await context.connection(host), { signal });
    if (flags.json) printJson({ host: host.name, ...listing });
    else out(...queueLines(host.name, listing));
    return 0;
  });
};

export const queueShowCommand: CommandFn = async ({ flags: given, positionals }, signal) => {
  const flags = given as QueueFlags;
  const id = queueId(positionals[0]);
  return withContext(flags, async (context) => {
    const host = context.host();
    const message = await showQueueMessage(await context.connection(host), id, { signal }).catch(gone);
    if (flags.json) {
      printJson({ host: host.name, ...message });
      return 0;
    }
    out(
      `${message.id} on ${host.name}: from ${message.from} to ${message.to.join(', ')}, ${formatSize(message.sizeBytes, ENGLISH)}`,
      '',
      ...linesOf(message.headers),
      ...(message.headersCut ? ['', '(the header section is longer than what was read: cut here)'] : []),
    );
    return 0;
  });
};

export const queueDeleteCommand: CommandFn = async ({ flags: given, positionals }, signal) => {
  const flags = given as QueueFlags;
  const id = queueId(positionals[0]);
  return withContext(flags, async (context) => {
    const host = context.host();
    const conn = await context.connection(host);
    if (!flags.yes) {
      if (!isInteractive()) throw new UsageError('Not a terminal: pass --yes to delete without asking.');
      const message = await showQueueMessage(conn, id, { signal }).catch(gone);
      const question =
        `Delete ${id} (from ${printable(message.from)} to ${printable(message.to.join(', '))}) from ${host.name}'s queue? ` +
        'It will not be delivered, and its sender is not told. chasquid restarts for it.';
      if (!(await promptYesNo(question))) {
        info('Nothing changed.');
        return 1;
      }
    }
    const result = await deleteQueueMessage(conn, id, { signal }).catch(gone);
    info(
      result.restarted
        ? `Deleted ${id} from ${host.name}'s queue; chasquid was restarted and tries the other queued messages now.`
        : `Deleted ${id} from ${host.name}'s queue (chasquid was not running and stays so).`,
    );
    return 0;
  });
};
