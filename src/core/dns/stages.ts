// The stages of a DNS change made in steps (DKIM key rotation, DANE key rollover) as every run
// prints them, and the dates they wait for. Pure: the editor and the DNS rows load it at start.
export type StageStatus = 'done' | 'next' | 'waiting' | 'pending';

export interface Stage<Id extends string = string> {
  id: Id;
  status: StageStatus;
  /** One line in plain words. */
  text: string;
}

const MARK: Record<StageStatus, string> = { done: '✓', next: '→', waiting: '…', pending: ' ' };

/** The stages as every run prints them: a mark (done, next, waiting for a date, pending), then the text. */
export function formatStages(stages: readonly Stage[]): string[] {
  return stages.map((stage) => `  ${MARK[stage.status]} ${stage.text}`);
}

/**
 * The status of stage `index` when the run stands at stage `at` (`count`: finished; undefined:
 * nothing begun, the first is next): earlier ones done, this one next or waiting for a date.
 */
export function stageStatus(index: number, at: number | undefined, waiting: boolean): StageStatus {
  if (at === undefined) return index === 0 ? 'next' : 'pending';
  if (index < at) return 'done';
  if (index > at) return 'pending';
  return waiting ? 'waiting' : 'next';
}

/** A date as the stages show it: UTC, to the second. */
export function dateText(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function durationText(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  return `${seconds} second(s)`;
}

/** `at` (ISO) plus `seconds`: when a wait that began then is over. */
export function afterSeconds(at: string, seconds: number): Date {
  return new Date(Date.parse(at) + seconds * 1000);
}
