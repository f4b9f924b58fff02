// Provisioning speed on a sandbox VPS (figures, not a test; the machine is noisy):
//  - a full provision of a fresh server, with the time spent in apt shown apart;
//  - a no-op apply on the provisioned server: wall time including the SSH handshake, and
//    the number of SSH round trips (goal: facts in one, 1.5 s or less in all).
//   npm run bench -- apply      (brings up a fresh sandbox VPS)
import { readFileSync } from 'node:fs';
import type { HostConfig } from '../src/core/config';
import { gatherFacts } from '../src/core/facts';
import { applyPlan, planHost } from '../src/core/plan';
import { userPasswordKey } from '../src/core/plan/actions/domains';
import { MemorySecretStore } from '../src/core/remote';
import { connect, desiredHost, type SandboxInstance } from '../test/integration/sandbox-instances';

const ROUNDS = Number(process.env.ROUNDS ?? 10);

function hostFor(instance: SandboxInstance): HostConfig {
  return desiredHost(instance, { name: 'example.test', users: ['alice'], aliases: { '*': ['alice'] } });
}

async function main(): Promise<void> {
  const path = process.env.MAILWRIGHT_SANDBOX_13;
  if (!path)
    throw new Error('Set MAILWRIGHT_SANDBOX_13 to a fresh sandbox instance.json (scripts/bench does).');
  const instance = JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance;
  const host = hostFor(instance);
  const secrets = new MemorySecretStore();
  await secrets.set(userPasswordKey('alice', 'example.test'), 'bench-password-not-secret');

  // Full provision of a fresh server.
  const conn = connect(instance);
  const t0 = performance.now();
  const plan = planHost(host, await gatherFacts(conn));
  const durations = new Map<string, number>();
  let started = 0;
  const result = await applyPlan(plan, {
    conn,
    host,
    secrets,
    regather: () => gatherFacts(conn),
    onEvent: (e) => {
      if (e.type === 'action-start') started = performance.now();
      if (e.type === 'action-done' || e.type === 'action-failed')
        durations.set(e.id, performance.now() - started);
    },
  });
  const total = performance.now() - t0;
  conn.close();
  if (!result.ok) throw new Error(`provisioning failed: ${result.failed?.message}`);
  const apt = [...durations].filter(([id]) => id.startsWith('install')).reduce((s, [, ms]) => s + ms, 0);
  console.log(`full provision of a fresh ${instance.suite} sandbox: ${(total / 1000).toFixed(1)} s`);
  console.log(
    `  apt (install action):  ${(apt / 1000).toFixed(1)} s  (${((apt / total) * 100).toFixed(0)}%)`,
  );
  console.log(`  everything else:       ${((total - apt) / 1000).toFixed(1)} s`);
  for (const [id, ms] of durations) console.log(`    ${id.padEnd(36)} ${(ms / 1000).toFixed(2)} s`);

  // No-op apply: connect, facts, plan (empty), done.
  const times: number[] = [];
  let roundTrips = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const c = connect(instance);
    const t = performance.now();
    const p = planHost(host, await gatherFacts(c));
    if (p.actions.length) throw new Error(`the plan is not empty: ${p.actions.map((a) => a.id).join(', ')}`);
    times.push(performance.now() - t);
    roundTrips = c.stats.execChannels + c.stats.sftpChannels;
    c.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`no-op apply (connect + facts + empty plan), ${ROUNDS} rounds:`);
  console.log(
    `  median ${median.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms, max ${times[times.length - 1]!.toFixed(0)} ms (goal <= 1500 ms)`,
  );
  console.log(`  SSH round trips after the handshake: ${roundTrips} (goal: 1)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
