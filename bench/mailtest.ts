// Time of a test mail, stage by stage: submitted (connect, TLS, AUTH, DATA until the server's
// 250), delivered (from that 250 until the copy is at the recipient's MX), verified (SPF, DKIM,
// DMARC and the hops judged). Goal: the whole under 2 s (median). Figures, not a test.
//   npm run bench -- mailtest   (brings up a sandbox VPS)
//   or MAILWRIGHT_SANDBOX_13=instance.json [MAILWRIGHT_SANDBOX_12=…] npx tsx bench/mailtest.ts
// It provisions the VPS (forward-only example.test) and brings up the inbox host and knot.
import { readFileSync } from 'node:fs';
import { runMailTest, type MailTestReport, type StageName } from '../src/core/mailtest';
import { INBOX_ZONE } from '../test/integration/dns-fixture';
import { provisionMailTestHost, startMailTestBed } from '../test/integration/mail-test-bed';
import type { SandboxInstance } from '../test/integration/sandbox-instances';

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const GOAL_MS = 2000;

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${median.toFixed(0).padStart(5)} ms, min ${sorted[0]!.toFixed(0).padStart(5)} ms, max ${sorted[sorted.length - 1]!.toFixed(0).padStart(5)} ms`;
}

const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;

async function benchOne(instance: SandboxInstance): Promise<void> {
  const bed = await startMailTestBed(instance);
  try {
    await provisionMailTestHost(bed);
    const stages: Record<StageName | 'total', number[]> = {
      sent: [],
      delivered: [],
      verified: [],
      total: [],
    };
    const parts: Record<'connect' | 'tls' | 'auth' | 'data', number[]> = {
      connect: [],
      tls: [],
      auth: [],
      data: [],
    };
    const failed: MailTestReport[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const report = await runMailTest(bed.options(`someone@${INBOX_ZONE}`, { pollIntervalMs: 20 }));
      if (report.stages.some((s) => s.status === 'fail' || s.ms === undefined)) {
        failed.push(report);
        continue;
      }
      let total = 0;
      for (const s of report.stages) {
        stages[s.name].push(s.ms!);
        total += s.ms!;
      }
      stages.total.push(total);
      const t = report.submission!.timings;
      parts.connect.push(t.connectMs);
      parts.tls.push(t.tlsMs ?? 0);
      parts.auth.push(t.authMs ?? 0);
      parts.data.push(t.dataMs);
    }
    console.log(
      `test mail through the ${instance.suite} sandbox (465 → inbox host → verified), ${ROUNDS} runs:`,
    );
    if (stages.total.length === 0) {
      console.log(
        `  every run failed; the first: ${JSON.stringify(failed[0]?.checks.filter((c) => c.status === 'fail'))}`,
      );
      return;
    }
    for (const name of ['sent', 'delivered', 'verified', 'total'] as const)
      console.log(`  ${name.padEnd(10)} ${stats(stages[name])}`);
    console.log('  of which sent:');
    for (const name of ['connect', 'tls', 'auth', 'data'] as const)
      console.log(`    ${name.padEnd(8)} ${stats(parts[name])}`);
    if (failed.length) console.log(`  ${failed.length} run(s) failed and are left out`);
    const m = median(stages.total);
    console.log(
      `  goal: median total <= ${GOAL_MS} ms: ${m <= GOAL_MS ? 'met' : 'NOT met'} (${m.toFixed(0)} ms)`,
    );
  } finally {
    await bed.close();
  }
}

async function main(): Promise<void> {
  const paths = [
    process.env.MAILWRIGHT_SENDTEST_SANDBOX_13 ?? process.env.MAILWRIGHT_SANDBOX_13,
    process.env.MAILWRIGHT_SENDTEST_SANDBOX_12 ?? process.env.MAILWRIGHT_SANDBOX_12,
  ].filter((p): p is string => Boolean(p));
  if (paths.length === 0)
    throw new Error('Set MAILWRIGHT_SANDBOX_13 to a sandbox instance.json (scripts/bench does).');
  for (const path of paths) await benchOne(JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
