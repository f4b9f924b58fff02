// The common shape of "this file on the server must have this content": no action when
// it already does, drift (with a diff) when someone edited what Mailwright last wrote.
import { createTwoFilesPatch } from 'diff';
import { sha256 } from './journal';
import type { Action, ApplyContext, PlanContext } from './types';

export interface ManagedFileSpec {
  id: string;
  kind: string;
  path: string;
  title: string;
  /** What Mailwright wants the file to contain. */
  desired: string;
  /** Why, when the file differs (the content difference is implied). */
  reason: string;
  mode?: string;
  owner?: string;
  /** chasquid reads this file only at start. */
  needsRestart?: boolean;
  /** Checks after writing, e.g. that chasquid accepts the file. */
  verify?: (ctx: ApplyContext) => Promise<void>;
  /** Runs after the file is written (e.g. install a dependency it needs). */
  afterWrite?: (ctx: ApplyContext) => Promise<void>;
}

export function unifiedDiff(path: string, from: string, to: string): string {
  return createTwoFilesPatch(`${path} (server)`, `${path} (Mailwright)`, from, to, undefined, undefined, {
    context: 3,
  });
}

/** Content of a file as the facts saw it, when the facts carry it. */
export type CurrentContent = string | undefined;

/**
 * One action writing `desired` to `path`, or none when the server already has it.
 * `current` is the server's content when known (needed for a diff).
 */
export function managedFileAction(
  ctx: PlanContext,
  spec: ManagedFileSpec,
  current: CurrentContent,
): Action | undefined {
  const currentHash = ctx.facts.confFiles?.[spec.path];
  const desiredHash = sha256(spec.desired);
  if (currentHash === desiredHash) return undefined;
  const lastWritten = ctx.facts.chasquidState?.managed[spec.path];
  const handEdited = currentHash !== undefined && lastWritten !== undefined && currentHash !== lastWritten;
  return {
    id: spec.id,
    kind: spec.kind,
    title: spec.title,
    reason: handEdited
      ? `${spec.path} was edited on the server since Mailwright wrote it; ${spec.reason}`
      : spec.reason,
    drift: handEdited
      ? { path: spec.path, diff: unifiedDiff(spec.path, current ?? '', spec.desired) }
      : undefined,
    async apply(actx) {
      await actx.files.write(spec.path, spec.desired, { mode: spec.mode, owner: spec.owner });
      if (spec.needsRestart) actx.requestRestart(`${spec.path} changed`);
      await spec.afterWrite?.(actx);
    },
    async verify(actx) {
      await spec.verify?.(actx);
    },
  };
}
