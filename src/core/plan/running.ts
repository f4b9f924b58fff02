// What chasquid runs with. chasquid reads its configuration, certificates and DKIM keys only
// when it starts, so whether a restart is due is a question about files: the hashes of those
// files when Mailwright last (re)started chasquid are kept in the managed state, and a restart is
// pending exactly when today's files differ from them. Nothing else is remembered, so a run
// that stopped half way, a rollback or a hand edit all come out right from the files alone.
import { ChasquidConf } from '../chasquid';
import { CHASQUID_CONF_PATH, CHASQUID_DIR, readAtStart } from '../chasquid/paths';
import { CHASQUID_FILE_HASHES, parseFileHashes } from '../facts';
import { shellCommand, shellScript, type RemoteConnection } from '../remote';
import type { ApplyContext } from './types';

/** Managed-state keys "#running:<path>" hold the sha256 of each file chasquid started with. */
const RUNNING = '#running:';

/** The files chasquid reads at start, with their hashes, out of a path -> sha256 list. */
export function startFiles(hashes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(hashes).filter(([path]) => readAtStart(path)));
}

/** The managed state with the record of what chasquid started with replaced by `files`. */
export function withRunning(
  managed: Record<string, string>,
  files: Record<string, string>,
): Record<string, string> {
  const out = Object.fromEntries(Object.entries(managed).filter(([key]) => !key.startsWith(RUNNING)));
  for (const [path, hash] of Object.entries(startFiles(files))) out[`${RUNNING}${path}`] = hash;
  return out;
}

/**
 * Files read at start that changed (or appeared, or went away) since Mailwright last started
 * chasquid: `managed` holds the record, `files` today's hashes. Without a record, every such file
 * counts once Mailwright has written anything (a run may have stopped before its restart); on a
 * server Mailwright never touched, none does.
 */
export function changedSinceStart(managed: Record<string, string>, files: Record<string, string>): string[] {
  const recorded = Object.fromEntries(
    Object.entries(managed)
      .filter(([key]) => key.startsWith(RUNNING))
      .map(([key, hash]) => [key.slice(RUNNING.length), hash]),
  );
  const now = startFiles(files);
  if (Object.keys(recorded).length === 0)
    return Object.keys(managed).some((key) => !key.startsWith('#')) ? Object.keys(now).sort() : [];
  const paths = [...new Set([...Object.keys(recorded), ...Object.keys(now)])].sort();
  return paths.filter((path) => recorded[path] !== now[path]);
}

/** The hashes of every file of chasquid's configuration, read now (as root). */
export async function readChasquidFileHashes(conn: RemoteConnection): Promise<Record<string, string>> {
  const r = await conn.exec(shellScript(`${CHASQUID_FILE_HASHES} 2>/dev/null; true`), {
    sudo: true,
    check: false,
  });
  return parseFileHashes(r.stdout);
}

/**
 * Why chasquid must not be (re)started on this chasquid.conf — the error chasquid would exit
 * with, found by our parser (as strict as chasquid's) — or undefined when it loads.
 */
export function confRefusal(content: string, version?: string): string | undefined {
  const errors = ChasquidConf.parse(content)
    .validate({ version })
    .filter((d) => d.severity === 'error');
  if (errors.length === 0) return undefined;
  const where = (d: (typeof errors)[number]) => `line ${d.line}:${d.column}: ${d.message}`;
  const syntax = errors.filter((d) => d.code === 'syntax');
  return syntax.length > 0
    ? `${CHASQUID_CONF_PATH} does not parse: ${syntax.map(where).join('; ')}`
    : `chasquid refuses ${CHASQUID_CONF_PATH}: ${errors.map(where).join('; ')}`;
}

/**
 * Why chasquid would not load `content` as its chasquid.conf, or undefined: our parser first,
 * then chasquid-util's own reading of the file on the server (so `content` must be written there).
 */
export async function confLoadProblem(
  ctx: Pick<ApplyContext, 'run'> & { facts: Pick<ApplyContext['facts'], 'chasquid'> },
  content: string,
): Promise<string | undefined> {
  const refusal = confRefusal(content, ctx.facts.chasquid.version);
  if (refusal !== undefined) return refusal;
  const r = await ctx.run(shellCommand(['chasquid-util', `-C=${CHASQUID_DIR}`, 'print-config']), {
    check: false,
    timeoutMs: 30_000,
  });
  return r.exitCode === 0
    ? undefined
    : `chasquid-util cannot read ${CHASQUID_CONF_PATH}: ${(r.stderr || r.stdout).trim()}`;
}
