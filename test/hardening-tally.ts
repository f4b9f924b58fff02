// The counts of the hardening suites (hostile inputs, secrets probes, faults), one JSON file per
// suite under test-results/hardening/, summed by scripts/hardening-summary.mjs into one line at
// the end of `npm test`. Only what actually ran is counted: a skipped case never starts, and a
// case counts as handled (clean, survived) only when all its assertions passed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { it, type TestContext } from 'node:test';

export const HARDENING_DIR = resolve(__dirname, '..', 'test-results', 'hardening');

/** The keys of each kind, as the summary reads them. */
const KEYS = {
  inputs: ['tried', 'handled'],
  secrets: ['probes', 'clean'],
  faults: ['tried', 'survived'],
} as const;

type Kind = keyof typeof KEYS;

export class HardeningTally {
  private readonly counts: Partial<Record<Kind, [number, number]>> = {};

  /** `suite` names the file: test-results/hardening/<suite>.json, written when the process exits. */
  constructor(readonly suite: string) {
    process.once('exit', () => this.write());
  }

  /** One more case of `kind` started; call the returned function when it passed. */
  start(kind: Kind): () => void {
    const c = (this.counts[kind] ??= [0, 0]);
    c[0]++;
    let done = false;
    return () => {
      if (!done) c[1]++;
      done = true;
    };
  }

  /** A node:test case counted as one input: handled when `fn` resolves. */
  inputCase(
    name: string,
    fn: (t: TestContext) => unknown,
    options: { todo?: string; skip?: string | false; timeout?: number } = {},
  ): void {
    it(name, options, async (t) => {
      const handled = this.start('inputs');
      await fn(t);
      handled();
    });
  }

  /** A secrets probe: counted, and clean when none of `secrets` occurs in `text`. Returns the ones found. */
  probe(text: string, secrets: readonly string[]): string[] {
    const clean = this.start('secrets');
    const found = secrets.filter((s) => s !== '' && text.includes(s));
    if (found.length === 0) clean();
    return found;
  }

  private write(): void {
    const entries = Object.entries(this.counts) as Array<[Kind, [number, number]]>;
    if (entries.length === 0) return; // nothing ran: no file, and the summary says so
    const body = Object.fromEntries(
      entries.map(([kind, [a, b]]) => [kind, { [KEYS[kind][0]]: a, [KEYS[kind][1]]: b }]),
    );
    mkdirSync(HARDENING_DIR, { recursive: true });
    writeFileSync(join(HARDENING_DIR, `${this.suite}.json`), JSON.stringify(body) + '\n');
  }
}
