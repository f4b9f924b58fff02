// Provisioning speed on a sandbox VPS (figures, not a test; the machine is noisy):
//  - a full provision of a fresh server, with the time spent in apt shown apart;
//  - a no-op apply on the provisioned server: wall time including the SSH handshake, and
//    the number of SSH round trips (goal: facts in one, 1.5 s or less in all);
//  - the same no-op apply as a whole process, `node dist/cli.js apply` (goal: 0.6 s or less),
//    side by side with the CLI built as one bundle (what it was before it was split per command),
//    and what start-up alone costs (`--help`, `node -e 0`).
//   npm run bench -- apply      (brings up a fresh sandbox VPS; scripts/bench builds dist/ first)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import type { HostConfig } from '../src/core/config';
import { gatherFacts } from '../src/core/facts';
import { applyPlan, planHost } from '../src/core/plan';
import { userPasswordKey } from '../src/core/plan/actions/domains';
import { MemorySecretStore } from '../src/core/remote';
import { connect, desiredHost, type SandboxInstance } from '../test/integration/sandbox-instances';

const ROUNDS = Number(process.env.ROUNDS ?? 10);

function hostFor(instance: SandboxInstance): HostConfig {
  // Forward-only: alice's mail goes on to another server (the planner refuses mail that would be lost).
  return desiredHost(instance, {
    name: 'example.test',
    users: ['alice'],
    aliases: { alice: ['alice@elsewhere.test'], '*': ['alice'] },
  });
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

  await processFigures(instance, median);
}

/**
 * Median wall time of each command run as a process, in ms; each must exit 0. The commands take
 * turns round after round, so a machine whose load changes treats them alike.
 */
function timeProcesses(commands: string[][], cwd: string): number[] {
  const times = commands.map((): number[] => []);
  for (let i = 0; i < ROUNDS; i++) {
    commands.forEach((args, c) => {
      const t = performance.now();
      const r = spawnSync(process.execPath, args, {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, SSH_AUTH_SOCK: '' },
      });
      times[c]!.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

/** The no-op apply as a user runs it, a process from start to exit. */
async function processFigures(instance: SandboxInstance, inProcessMs: number): Promise<void> {
  const root = resolve(__dirname, '..');
  const split = join(root, 'dist', 'cli.js');
  const work = mkdtempSync(join(tmpdir(), 'mw-bench-cli-'));
  try {
    // The CLI as one bundle, for comparison: the same sources, no splitting.
    const single = join(work, 'cli-one-bundle.js');
    await esbuild.build({
      entryPoints: [join(root, 'src/cli/bin.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: single,
      external: ['vscode', 'cpu-features', '*.node'],
      logLevel: 'error',
    });
    writeFileSync(
      join(work, 'mailwright.yaml'),
      [
        'version: 1',
        'hosts:',
        `  - name: ${instance.name}`,
        `    ssh: root@${instance.ipv4}:${instance.port}`,
        `    identityFile: ${instance.rootKey}`,
        '    mailHost: smtp.example.test',
        '    domains:',
        '      - name: example.test',
        '        users: [alice]',
        "        aliases: { alice: alice@elsewhere.test, '*': alice }",
        '',
      ].join('\n'),
    );
    const apply = ['apply', '--yes', '--known-hosts', instance.knownHostsFile];
    // MAILWRIGHT_BENCH_BASELINE: another build's dist/cli.js (e.g. of the commit before a change),
    // measured in the same rounds for a before/after ratio.
    const baseline = process.env.MAILWRIGHT_BENCH_BASELINE;
    const commands: [string, string[]][] = [
      ['node -e 0 (Node itself)', ['-e', '0']],
      ['mailwright --help, split', [split, '--help']],
      ['mailwright --help, one bundle', [single, '--help']],
      ['no-op apply, split', [split, ...apply]],
      ['no-op apply, one bundle', [single, ...apply]],
      ['no-op apply --no-commit, split', [split, ...apply, '--no-commit']],
      ...(baseline
        ? ([
            ['mailwright --help, baseline', [baseline, '--help']],
            ['no-op apply, baseline', [baseline, ...apply]],
          ] as [string, string[]][])
        : []),
    ];
    const medians = timeProcesses(
      commands.map(([, args]) => args),
      work,
    );
    const ms = (what: string) => medians[commands.findIndex(([w]) => w === what)]!;
    console.log(`whole process (median of ${ROUNDS}, the commands taking turns):`);
    commands.forEach(([what], i) =>
      console.log(`  ${what.padEnd(34)} ${medians[i]!.toFixed(0).padStart(5)} ms`),
    );
    console.log(
      `  split / one bundle: ${(ms('no-op apply, split') / ms('no-op apply, one bundle')).toFixed(2)} (apply), ${(ms('mailwright --help, split') / ms('mailwright --help, one bundle')).toFixed(2)} (--help)`,
    );
    if (baseline) {
      console.log(
        `  this build / baseline: ${(ms('no-op apply, split') / ms('no-op apply, baseline')).toFixed(2)} (apply), ${(ms('mailwright --help, split') / ms('mailwright --help, baseline')).toFixed(2)} (--help)`,
      );
    }
    console.log(
      `  no-op apply as a process / in-process: ${(ms('no-op apply, split') / inProcessMs).toFixed(2)} (goal: process <= 600 ms)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
