// How a queued message is told, in the Mail Servers tree and on the command line alike: who it is
// for, how old, how often tried, when next, and why it is still there. Text from the server is
// made printable here (control characters shown escaped), once for both.
import { oldestAge, type QueueItem, type QueueListing, type QueueRecipient } from '../core/queue/items';
import { printable } from '../core/printable';
import { formatDuration } from './dashboard/state';
import type { L10n } from './l10n';

/** How long the last error may be in a row's description; the tooltip has it whole. */
const SHORT_ERROR = 60;

const short = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** "1.1 KB", "3.4 MB": sizes as a mail program shows them. */
export function formatSize(bytes: number, l10n: L10n): string {
  if (bytes < 1000) return l10n.t('{0} bytes', bytes);
  if (bytes < 1_000_000) return l10n.t('{0} KB', (bytes / 1000).toFixed(1));
  return l10n.t('{0} MB', (bytes / 1_000_000).toFixed(1));
}

/** The recipients still waiting (every recipient when none is). */
export function waitingRecipients(item: QueueItem): QueueRecipient[] {
  const pending = item.recipients.filter((r) => r.status === 'pending');
  return pending.length > 0 ? pending : item.recipients;
}

function statusWord(r: QueueRecipient, l10n: L10n): string {
  return r.status === 'sent' ? l10n.t('sent') : r.status === 'failed' ? l10n.t('failed') : l10n.t('waiting');
}

function attemptsText(n: number | null, l10n: L10n): string {
  return n === null ? l10n.t('attempts unknown') : n === 1 ? l10n.t('1 attempt') : l10n.t('{0} attempts', n);
}

/** When chasquid tries again, counted from when the queue was read. */
export function nextTryText(
  item: QueueItem,
  listing: Pick<QueueListing, 'readAt' | 'chasquidState'>,
  l10n: L10n,
): string {
  if (listing.chasquidState !== 'active')
    return l10n.t('not while chasquid is {0}', printable(listing.chasquidState));
  if (!item.nextTryAt) return l10n.t('not said yet by chasquid');
  const ms = Date.parse(item.nextTryAt) - Date.parse(listing.readAt);
  return ms <= 0 ? l10n.t('due now') : l10n.t('in {0}', formatDuration(ms, l10n));
}

export interface QueueItemView {
  /** The recipients it waits for. */
  label: string;
  /** Age, and the last error cut short. */
  description: string;
  /** Every detail, one per line. */
  details: string[];
}

export function queueItemView(
  item: QueueItem,
  listing: Pick<QueueListing, 'readAt' | 'chasquidState'>,
  l10n: L10n,
): QueueItemView {
  const age = formatDuration(item.ageSeconds * 1000, l10n);
  const error = item.lastError ? printable(item.lastError) : undefined;
  return {
    label: printable(
      waitingRecipients(item)
        .map((r) => r.address)
        .join(', '),
    ),
    description: error ? l10n.t('{0} · {1}', age, short(error, SHORT_ERROR)) : age,
    details: [
      l10n.t('Queue id: {0}', item.id),
      l10n.t('From: {0}', printable(item.from)),
      ...item.recipients.map((r) =>
        l10n.t(
          'To: {0} ({1}, {2})',
          printable(
            r.originalAddress && r.originalAddress !== r.address
              ? `${r.originalAddress} → ${r.address}`
              : r.address,
          ),
          statusWord(r, l10n),
          attemptsText(r.attempts, l10n),
        ),
      ),
      l10n.t('Queued: {0} ago ({1})', age, item.createdAt),
      ...(item.storedBytes !== null ? [l10n.t('Size: about {0}', formatSize(item.storedBytes, l10n))] : []),
      l10n.t('Tried: {0}', attemptsText(item.attempts, l10n)),
      l10n.t('Next try: {0}', nextTryText(item, listing, l10n)),
      ...(error ? [l10n.t('Last error: {0}', error)] : []),
    ],
  };
}

/** The Queue row's own text: how many messages, and the oldest. */
export function queueSummary(listing: QueueListing, l10n: L10n): string {
  if (!listing.present) return l10n.t('chasquid has no queue yet');
  const oldest = oldestAge(listing.items);
  return oldest === undefined ? l10n.t('empty') : l10n.t('oldest {0}', formatDuration(oldest * 1000, l10n));
}
