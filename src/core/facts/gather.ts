// Facts in one round trip: one exec channel runs the whole script.
import { type RemoteConnection, secretKeys, shellScript } from '../remote';
import { factsScript, newReportKey, reportStdin } from './script';
import { parseFacts } from './parse';
import type { Facts } from './types';

export interface GatherOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function gatherFacts(conn: RemoteConnection, opts: GatherOptions = {}): Promise<Facts> {
  // A stored sudo password goes to the script on stdin so root-only facts can be read; never prompted for here.
  const sudoPassword = conn.isRoot
    ? undefined
    : await conn.options.secrets.get(secretKeys.sudoPassword(conn.options.name));
  const key = newReportKey();
  const started = performance.now();
  await conn.connect(opts.signal);
  const result = await conn.exec(shellScript(factsScript()), {
    stdin: reportStdin(key, sudoPassword),
    signal: opts.signal,
    timeoutMs: opts.timeoutMs ?? 30_000,
    check: false,
  });
  return parseFacts(result.stdout, key, Math.round(performance.now() - started));
}
