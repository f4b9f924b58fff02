// Time to connect and gather facts: the one-script round trip against one exec per fact,
// side by side in the same run (ratios matter; these machines are noisy). Not a test.
//   npm run bench -- facts     (brings up a sandbox VPS)   or   MAILWRIGHT_SANDBOX_13=instance.json npx tsx bench/facts.ts
import { readFileSync } from 'node:fs';
import {
  gatherFacts,
  FACT_SECTIONS,
  newReportKey,
  parseFacts,
  reportStdin,
  singleSectionScript,
} from '../src/core/facts';
import { shellScript, type RemoteConnection } from '../src/core/remote';
import { connect, type SandboxInstance } from '../test/integration/sandbox-instances';

const ROUNDS = Number(process.env.ROUNDS ?? 10);

async function perFact(conn: RemoteConnection): Promise<void> {
  let out = '';
  const key = newReportKey();
  for (const [name, shell] of FACT_SECTIONS) {
    out += (
      await conn.exec(shellScript(singleSectionScript(name, shell)), {
        check: false,
        stdin: reportStdin(key),
      })
    ).stdout;
  }
  parseFacts(out, key, 0);
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  const path = process.env.MAILWRIGHT_SANDBOX_13;
  if (!path) throw new Error('Set MAILWRIGHT_SANDBOX_13 to a sandbox instance.json (scripts/bench does).');
  const instance = JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance;
  const one: number[] = [];
  const many: number[] = [];
  let channels = { one: 0, many: 0 };
  // Interleaved so both see the same machine load.
  for (let i = 0; i < ROUNDS; i++) {
    for (const mode of ['one', 'many'] as const) {
      const conn = connect(instance);
      const t = performance.now();
      await conn.connect();
      if (mode === 'one') await gatherFacts(conn);
      else await perFact(conn);
      (mode === 'one' ? one : many).push(performance.now() - t);
      channels = { ...channels, [mode]: conn.stats.execChannels };
      conn.close();
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(`facts of ${instance.suite} sandbox over SSH, connect + gather, ${ROUNDS} rounds each:`);
  console.log(`  one script, ${channels.one} exec channel:      ${stats(one)}`);
  console.log(`  one exec per fact, ${channels.many} channels:  ${stats(many)}`);
  console.log(`  ratio per-fact / one-script: ${(med(many) / med(one)).toFixed(2)}x`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
