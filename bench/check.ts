// `mailwright check` of a server with two domains (node dist/cli.js, as a user runs it: SSH
// login, facts in one round trip, each domain's DKIM keys and DNS lookups against the test knot),
// side by side with a no-op `mailwright plan` of the same server in the same run, alternating, and
// with MAILWRIGHT_BENCH_BASELINE=<other build>/dist/cli.js that build's check in the same rounds.
// Goal: check within 1.5 s. Not a test.
//   npm run bench -- check   (brings up a sandbox VPS)  or  MAILWRIGHT_SANDBOX_13=instance.json npx tsx bench/check.ts
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { HostConfig } from '../src/core/config';
import { gatherFacts } from '../src/core/facts';
import { applyPlan, planHost } from '../src/core/plan';
import { MemorySecretStore } from '../src/core/remote';
import { RECEIVER_ZONE, SENDER_ZONE, startTestDns } from '../test/integration/dns-fixture';
import { connect, desiredHost, type SandboxInstance } from '../test/integration/sandbox-instances';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const SECOND_DOMAIN = `second.${RECEIVER_ZONE}`;

function median(ms: number[]): number {
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${median(ms).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

function timed(args: string[], ok: (code: number | null) => boolean, cli = CLI): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SSH_AUTH_SOCK: '' },
  });
  const ms = performance.now() - started;
  if (!ok(r.status)) throw new Error(`mailwright ${args[0]} exited ${r.status}: ${r.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  const path = process.env.MAILWRIGHT_SANDBOX_13;
  if (!path) throw new Error('Set MAILWRIGHT_SANDBOX_13 to a sandbox instance.json (scripts/bench does).');
  const instance = JSON.parse(readFileSync(path, 'utf8')) as SandboxInstance;
  const base = desiredHost(instance, { name: SENDER_ZONE });
  const host: HostConfig = {
    ...base,
    domains: [...base.domains, { ...base.domains[0]!, name: SECOND_DOMAIN }],
  };
  const dns = await startTestDns(instance);
  const conn = connect(instance);
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-check-'));
  try {
    // The server as mailwright.yaml wants it, so that plan has nothing to do.
    const plan = planHost(host, await gatherFacts(conn));
    if (plan.actions.length > 0) {
      const result = await applyPlan(plan, {
        conn,
        host,
        secrets: new MemorySecretStore(),
        regather: () => gatherFacts(conn),
      });
      if (!result.ok) throw new Error(`provisioning: ${JSON.stringify(result.failed)}`);
    }
    conn.close();
    const config = join(dir, 'mailwright.yaml');
    writeFileSync(
      config,
      [
        'version: 1',
        'hosts:',
        `  - name: ${host.name}`,
        `    ssh: root@${instance.ipv4}:${instance.port}`,
        `    identityFile: ${instance.rootKey}`,
        `    mailHost: ${host.mailHost}`,
        '    domains:',
        ...host.domains.map((d) => `      - name: ${d.name}`),
        '',
      ].join('\n'),
    );
    const common = ['--config', config, '--known-hosts', instance.knownHostsFile];
    const checkArgs = [
      'check',
      ...common,
      '--resolver',
      instance.hostIpv4,
      '--authoritative',
      instance.hostIpv4,
      '--no-dnsbl',
    ];
    const planArgs = ['plan', ...common, '--detailed-exitcode'];
    // Warm-up (disk caches, the first SSH handshake's host key check), not counted.
    timed(checkArgs, (c) => c !== null && c <= 2);
    timed(planArgs, (c) => c === 0);
    // MAILWRIGHT_BENCH_BASELINE: another build's dist/cli.js (e.g. of the commit before a change),
    // its check measured in the same rounds for a before/after ratio.
    const baseline = process.env.MAILWRIGHT_BENCH_BASELINE;
    const check: number[] = [];
    const noop: number[] = [];
    const before: number[] = [];
    const node: number[] = [];
    const loads: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      check.push(timed(checkArgs, (c) => c !== null && c <= 2));
      noop.push(timed(planArgs, (c) => c === 0));
      if (baseline) before.push(timed(checkArgs, (c) => c !== null && c <= 2, baseline));
      const t = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      node.push(performance.now() - t);
      loads.push(loadavg()[0]!.toFixed(1));
    }
    const ratio = median(check) / median(noop);
    console.log(`load average (1 min) after each round: ${loads.join(' ')}; node -e 0: ${stats(node)}`);
    console.log(`mailwright check, 2 domains (${ROUNDS} rounds): ${stats(check)}`);
    if (baseline) {
      console.log(`mailwright check, baseline (${ROUNDS} rounds): ${stats(before)}`);
      console.log(`check: this build / baseline: ${(median(check) / median(before)).toFixed(2)}`);
    }
    console.log(`mailwright plan, nothing to do (${ROUNDS} rounds): ${stats(noop)}`);
    console.log(
      `check / plan: ${ratio.toFixed(2)}; goal check <= 1500 ms: ${median(check) <= 1500 ? 'met' : 'NOT met'}`,
    );
  } finally {
    conn.close();
    await dns.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
