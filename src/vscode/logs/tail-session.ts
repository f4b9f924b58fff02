// One live tail of chasquid's log: a remote command streaming lines into a bounded ring,
// restarted with backoff when the connection drops (the gap is marked), stopped by abort.
// No vscode import, so bench/log-tail.ts drives it with a fast local producer.
import { LineRing, LineSplitter } from '../../core/logs';
import { shellScript, type ShellLine } from '../../core/remote';
import { sleep } from '../../core/sleep';

export interface StreamRunner {
  /** Runs the command until it ends or the signal aborts; streams stdout through onStdout. */
  (command: ShellLine, opts: { onStdout: (text: string) => void; signal: AbortSignal }): Promise<unknown>;
}

// journalctl when chasquid's unit has a journal, else the classic syslog files.
const TAIL_SCRIPT = `n=$1
if command -v journalctl >/dev/null 2>&1 && [ -n "$(journalctl -u chasquid -n 1 -q --no-pager 2>/dev/null)" ]; then
  exec journalctl -u chasquid -f -n "$n" --no-pager -o short-iso
elif [ -e /var/log/mail.log ]; then
  exec tail -n "$n" -F /var/log/mail.log
else
  exec tail -n "$n" -F /var/log/syslog
fi`;

export function tailCommand(initialLines: number): ShellLine {
  return shellScript(TAIL_SCRIPT, [String(initialLines)]);
}

export interface TailOptions {
  maxLines: number;
  initialLines?: number;
  /** Called (throttled by the caller) whenever lines were added. */
  onChange: () => void;
  now?: () => Date;
  backoffMs?: readonly number[];
}

const DEFAULT_BACKOFF = [1_000, 2_000, 5_000, 10_000, 30_000];

export class TailSession {
  readonly ring: LineRing;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  /** Total lines received, for tests and benchmarks. */
  received = 0;

  constructor(
    private readonly run: StreamRunner,
    private readonly opts: TailOptions,
  ) {
    this.ring = new LineRing(opts.maxLines);
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Kills the remote command (the abort reaches it through exec's signal). */
  stop(): void {
    this.abort.abort();
  }

  done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private push(lines: string[]): void {
    for (const l of lines) this.ring.push(l);
    this.received += lines.length;
    if (lines.length) this.opts.onChange();
  }

  private async loop(): Promise<void> {
    const now = this.opts.now ?? (() => new Date());
    const backoff = this.opts.backoffMs ?? DEFAULT_BACKOFF;
    let lostAt: Date | undefined;
    let attempt = 0;
    while (!this.stopped) {
      const splitter = new LineSplitter();
      let gotOutput = false;
      // After a drop, only new lines: the marker says what is missing.
      const command = tailCommand(lostAt ? 0 : (this.opts.initialLines ?? 200));
      try {
        await this.run(command, {
          signal: this.abort.signal,
          onStdout: (text) => {
            if (!gotOutput && lostAt) {
              this.push([`— connection lost at ${iso(lostAt)}, reconnected at ${iso(now())} —`]);
              lostAt = undefined;
            }
            gotOutput = true;
            attempt = 0;
            this.push(splitter.push(text));
          },
        });
      } catch {
        // A dropped connection or a failed command: retried below unless stopped.
      }
      this.push(splitter.flush());
      if (this.stopped) break;
      lostAt ??= now();
      // Stopping ends the wait at once; the loop then sees it.
      await sleep(backoff[Math.min(attempt++, backoff.length - 1)] ?? 30_000, this.abort.signal).catch(
        () => undefined,
      );
    }
  }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');
