// Provisioning a sandbox VPS to a desired state, as every test that needs a served domain does it:
// a plan from the facts, applied with each hand edit found on the VPS overwritten (a sandbox may
// carry files of an earlier run: the desired state wins), the run's output kept for the failure
// message.
import assert from 'node:assert/strict';
import type { HostConfig } from '../../src/core/config';
import { gatherFacts } from '../../src/core/facts';
import { applyPlan, planHost, type ApplyEvent, type ApplyResult, type Plan } from '../../src/core/plan';
import { MemorySecretStore, type RemoteConnection, type SecretStore } from '../../src/core/remote';

export interface AppliedRun {
  plan: Plan;
  result: ApplyResult;
  /** Every line and message of the run, in order. */
  output: string[];
}

/** Plans `host` against the VPS and applies it; the result is returned, not judged. */
export async function applyDesired(
  conn: RemoteConnection,
  host: HostConfig,
  secrets: SecretStore = new MemorySecretStore(),
  onEvent?: (e: ApplyEvent) => void,
): Promise<AppliedRun> {
  const plan = planHost(host, await gatherFacts(conn));
  const events: ApplyEvent[] = [];
  const result = await applyPlan(plan, {
    conn,
    host,
    secrets,
    regather: () => gatherFacts(conn),
    driftDecisions: Object.fromEntries(
      plan.actions.flatMap((a) => (a.drift ? [[a.drift.path, 'overwrite' as const]] : [])),
    ),
    onEvent: (e) => (events.push(e), onEvent?.(e)),
  });
  const output = events.flatMap((e) => ('line' in e ? [e.line] : 'message' in e ? [e.message] : []));
  return { plan, result, output };
}

/** The run's failure, with the last lines of its output. */
export function assertApplied(run: AppliedRun): void {
  assert.ok(
    run.result.ok,
    `apply failed: ${JSON.stringify(run.result.failed)}\n${run.output.slice(-40).join('\n')}`,
  );
}

/**
 * Applies `host`, fails the test when the run fails, and then when a second plan still has
 * something to do (an apply that does not converge). Returns the run and that second plan.
 */
export async function provisionDesired(
  conn: RemoteConnection,
  host: HostConfig,
  secrets?: SecretStore,
  onEvent?: (e: ApplyEvent) => void,
): Promise<AppliedRun & { again: Plan }> {
  const run = await applyDesired(conn, host, secrets, onEvent);
  assertApplied(run);
  const again = planHost(host, await gatherFacts(conn));
  assert.deepEqual(
    again.actions.map((a) => `${a.id}: ${a.reason}`),
    [],
    'nothing left to do',
  );
  return { ...run, again };
}
