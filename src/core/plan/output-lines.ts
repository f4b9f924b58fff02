// Turns a remote command's streamed output into the log lines an apply run shows. Progress that a
// terminal would draw over itself (dpkg's "(Reading database ... 5%" ends each step with a
// carriage return) is shown as its last state, and messages that look like errors but are not
// (systemd's note about the chasquid.target the package's socket units name but never ship, apt
// saying debconf waits for apt-utils) are left out. Other control characters are made visible.
import { printable } from '../printable';

/** Lines that are harmless on every first provisioning and that users take for errors. */
const NOISE: readonly RegExp[] = [
  // systemctl enable of chasquid's socket units (WantedBy=chasquid.target, a unit no package ships).
  /^Unit \S+ is added as a dependency to a non-existent unit \S+\.$/,
  /^debconf: delaying package configuration, since apt-utils is not installed$/,
];

/** What is left of one line after carriage returns: the text a terminal would show. */
export function lastDrawn(line: string): string {
  const parts = line.split('\r').filter((part) => part !== '');
  return parts[parts.length - 1] ?? '';
}

export function isNoise(line: string): boolean {
  return NOISE.some((pattern) => pattern.test(line));
}

/** Splits streamed text into shown lines; keeps an unfinished line until more text or `end()`. */
export class OutputLines {
  private pending = '';

  constructor(private readonly emit: (line: string) => void) {}

  push(text: string): void {
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.show(line);
  }

  end(): void {
    if (this.pending) this.show(this.pending);
    this.pending = '';
  }

  private show(raw: string): void {
    const line = lastDrawn(raw);
    // An empty line stays (it separates paragraphs); one emptied by carriage returns does not.
    if ((line === '' && raw !== '') || isNoise(line)) return;
    this.emit(printable(line));
  }
}
