// The server's conf directory mirrored into the workspace's git,
// one commit per change, secrets never fetched nor committed, push optional.
import { ExpectedError } from '../errors';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { RemoteConnection } from '../remote';
import { fetchConfTar, tarExcludeArgs } from './fetch-conf';
import { git, GitError } from './git-command';
import { CONF_GITIGNORE, isSecretPath } from './secret-paths';

export interface SnapshotOptions {
  workspaceRoot: string;
  /** Folder name under conf/: the host's name in mailwright.yaml. */
  hostName: string;
  confDir?: string;
  /** What was applied, one line each in the commit message. */
  actions?: readonly string[];
  /** First line of the commit message (default "mailwright: apply on <host>"). */
  title?: string;
  /** git remote name (mailwright.yaml `git.remote`); push only when given. */
  remote?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * What the server's conf directory holds as this run's facts saw it (`serverStateOf`), given
   * only when nothing changed it since. When the last snapshot of this host was of the same state
   * and the workspace's HEAD still holds that snapshot's folder, nothing is fetched, run or
   * committed: git already matches the server.
   */
  serverState?: string;
}

export interface PushResult {
  ok: boolean;
  remote: string;
  /** git's own explanation, credentials in URLs redacted. */
  error?: string;
}

export interface SnapshotResult {
  committed: boolean;
  commit?: string;
  /** Files now mirrored, relative to conf/<host>/, sorted. */
  files: string[];
  /** Files this commit added, changed or removed, relative to conf/<host>/. */
  changed: string[];
  /** The server was as at the last snapshot, which HEAD still holds: nothing was fetched. */
  unchanged?: boolean;
  push?: PushResult;
}

/** Returns the conf directory as a tar archive (the real one reads it over SSH). */
export type FetchConfTar = (confDir: string) => Promise<Buffer>;

const IDENTITY = { name: 'Mailwright', email: 'mailwright@localhost' };

export class SnapshotError extends ExpectedError {}

export function snapshotConf(conn: RemoteConnection, opts: SnapshotOptions): Promise<SnapshotResult> {
  return snapshotConfFrom(
    (confDir) => fetchConfTar(conn, confDir, { timeoutMs: opts.timeoutMs, signal: opts.signal }),
    opts,
  );
}

export async function snapshotConfFrom(fetch: FetchConfTar, opts: SnapshotOptions): Promise<SnapshotResult> {
  checkHostName(opts.hostName);
  const confDir = opts.confDir ?? '/etc/chasquid';
  const hostRel = `conf/${opts.hostName}`;
  const target = join(opts.workspaceRoot, 'conf', opts.hostName);

  if (
    opts.serverState &&
    !opts.remote &&
    (await lastSnapshotWas(opts.workspaceRoot, hostRel, opts.serverState))
  ) {
    return { committed: false, files: await listFiles(target).catch(() => []), changed: [], unchanged: true };
  }

  const archive = await fetch(confDir);
  await replaceFolder(target, archive);
  const files = await listFiles(target);

  await ensureRepository(opts.workspaceRoot);
  await git(opts.workspaceRoot, ['add', '--all', '--', hostRel]);
  await refuseStagedSecrets(opts.workspaceRoot, hostRel);

  const changed = await stagedChanges(opts.workspaceRoot, hostRel);
  const result: SnapshotResult = { committed: false, files, changed };
  if (changed.length > 0) {
    // `commit -- <path>` commits only this host's folder, whatever else the user has staged.
    await git(opts.workspaceRoot, ['commit', '--quiet', '-m', commitMessage(opts), '--', hostRel]);
    result.committed = true;
    result.commit = (await git(opts.workspaceRoot, ['rev-parse', 'HEAD'])).stdout.trim();
  }
  if (opts.serverState) await rememberSnapshot(opts.workspaceRoot, hostRel, opts.serverState);
  if (opts.remote) result.push = await push(opts.workspaceRoot, opts.remote);
  return result;
}

/**
 * A fingerprint of what a snapshot of the conf directory holds, from facts gathered with root
 * access: each file's sha256 and each entry's type, mode and link target. Undefined when the facts
 * lack either (no root access, or a find without -printf).
 */
export function serverStateOf(
  facts: { confFiles?: Record<string, string>; confTree?: string },
  confDir = '/etc/chasquid',
): string | undefined {
  if (!facts.confFiles || !facts.confTree?.trim()) return undefined;
  const files = Object.entries(facts.confFiles)
    .filter(([path]) => path.startsWith(`${confDir}/`))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, hash]) => `${hash} ${path}`);
  const tree = facts.confTree.split('\n').filter(Boolean).sort();
  return createHash('sha256')
    .update(JSON.stringify([files, tree]))
    .digest('hex');
}

/** The git folder and HEAD's tree of conf/<host> (one git run); undefined when HEAD has no such folder. */
async function headFolder(
  root: string,
  hostRel: string,
): Promise<{ gitDir: string; tree: string } | undefined> {
  const r = await git(root, ['rev-parse', '--absolute-git-dir', `HEAD:./${hostRel}`], { allowFailure: true });
  const [gitDir, tree] = r.stdout.split('\n').map((l) => l.trim());
  return r.exitCode === 0 && gitDir && tree ? { gitDir, tree } : undefined;
}

/** Where the state of a host's last snapshot is kept: inside the git folder, never committed. */
function snapshotRecord(gitDir: string, hostRel: string): string {
  return join(gitDir, 'mailwright', `${hostRel.replace(/\//g, '-')}.snapshot`);
}

async function lastSnapshotWas(root: string, hostRel: string, state: string): Promise<boolean> {
  const head = await headFolder(root, hostRel);
  if (!head) return false;
  const recorded = await readFile(snapshotRecord(head.gitDir, hostRel), 'utf8').catch(() => '');
  return recorded === `${state} ${head.tree}\n`;
}

async function rememberSnapshot(root: string, hostRel: string, state: string): Promise<void> {
  const head = await headFolder(root, hostRel);
  if (!head) return;
  const record = snapshotRecord(head.gitDir, hostRel);
  await mkdir(dirname(record), { recursive: true });
  await writeFile(record, `${state} ${head.tree}\n`);
}

/**
 * The lines of an apply run's commit: what it applied, or — when it applied nothing that changed
 * a file — why the server still differs from the last commit (a run that stopped before its
 * commit, or a change made on the server). Every apply snapshots: git never lags the server.
 */
export function applyCommitLines(
  plan: { actions: readonly { id: string; title: string }[] },
  applied: readonly string[],
): string[] {
  const titles = plan.actions.filter((a) => applied.includes(a.id)).map((a) => a.title);
  return titles.length > 0
    ? titles
    : [
        'the server differed from the last commit (an earlier run that stopped, or a change made on the server)',
      ];
}

export function commitMessage(opts: Pick<SnapshotOptions, 'hostName' | 'actions' | 'title'>): string {
  const title = opts.title ?? `mailwright: apply on ${opts.hostName}`;
  const actions = (opts.actions ?? []).map((a) => `- ${a.replace(/\s*\n\s*/g, ' ')}`);
  return actions.length ? `${title}\n\n${actions.join('\n')}\n` : `${title}\n`;
}

function checkHostName(name: string): void {
  // The name becomes a folder: no separators, no "..", nothing hidden.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) {
    throw new SnapshotError(`"${name}" cannot be used as a folder name under conf/.`);
  }
}

/** Extracts the archive next to the target, filters secrets, then swaps folders (removed files disappear). */
async function replaceFolder(target: string, archive: Buffer): Promise<void> {
  const parent = join(target, '..');
  await mkdir(parent, { recursive: true });
  const staging = `${target}.mailwright-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { mode: 0o700 });
  try {
    const { execa } = await import('execa');
    // Same exclusions again (belt and braces); never the archive's owners or absolute paths.
    const tar = await execa(
      'tar',
      ['-x', '-f', '-', '-C', staging, '--no-same-owner', '--no-same-permissions', ...tarExcludeArgs()],
      { input: archive, reject: false, stdin: 'pipe' },
    );
    if (tar.exitCode !== 0) {
      throw new SnapshotError(`The configuration archive could not be unpacked: ${String(tar.stderr)}`);
    }
    await removeSecrets(staging, staging);
    await writeFile(join(staging, '.gitignore'), CONF_GITIGNORE);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function removeSecrets(root: string, dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(root, path).split(sep).join('/');
    if (isSecretPath(rel)) await rm(path, { recursive: true, force: true });
    else if (entry.isDirectory()) await removeSecrets(root, path);
  }
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(relative(root, path).split(sep).join('/'));
  }
  return out.sort();
}

async function ensureRepository(root: string): Promise<void> {
  const inside = await git(root, ['rev-parse', '--is-inside-work-tree'], { allowFailure: true });
  if (inside.exitCode !== 0 || inside.stdout.trim() !== 'true') {
    if (!existsSync(root)) throw new SnapshotError(`The workspace folder ${root} does not exist.`);
    await git(root, ['init', '--quiet']);
  }
  // Only when nothing is configured anywhere (local, global, system): never override the user.
  for (const key of ['name', 'email'] as const) {
    const set = await git(root, ['config', `user.${key}`], { allowFailure: true });
    if (set.exitCode !== 0 || !set.stdout.trim()) {
      await git(root, ['config', '--local', `user.${key}`, IDENTITY[key]]);
    }
  }
}

/** Last guard: a staged secret (e.g. a .gitignore negated elsewhere) aborts before any commit. */
async function refuseStagedSecrets(root: string, hostRel: string): Promise<void> {
  const staged = (await git(root, ['ls-files', '--cached', '-z', '--', hostRel])).stdout
    .split('\0')
    .filter(Boolean);
  const secrets = staged.filter((p) => isSecretPath(p.slice(hostRel.length + 1)));
  if (secrets.length > 0) {
    await git(root, ['reset', '--quiet', '--', hostRel], { allowFailure: true });
    throw new SnapshotError(`Refusing to commit secret files: ${secrets.join(', ')}`);
  }
}

async function stagedChanges(root: string, hostRel: string): Promise<string[]> {
  const hasHead =
    (await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD'], { allowFailure: true })).exitCode === 0;
  const args = hasHead
    ? ['diff', '--cached', '--name-only', '--relative', '-z', '--no-renames', 'HEAD', '--', hostRel]
    : ['ls-files', '--cached', '-z', '--', hostRel];
  const out = (await git(root, args)).stdout.split('\0').filter(Boolean);
  return out.map((p) => p.slice(hostRel.length + 1)).sort();
}

async function push(root: string, remote: string): Promise<PushResult> {
  if (remote.startsWith('-') || /\s/.test(remote)) {
    return { ok: false, remote, error: `"${remote}" is not a git remote name.` };
  }
  try {
    const r = await git(root, ['push', '--quiet', remote, 'HEAD'], {
      allowFailure: true,
      timeoutMs: 120_000,
    });
    return r.exitCode === 0
      ? { ok: true, remote }
      : { ok: false, remote, error: `git push to "${remote}" failed: ${r.stderr || `exit ${r.exitCode}`}` };
  } catch (err) {
    const why = err instanceof GitError || err instanceof Error ? err.message : String(err);
    return { ok: false, remote, error: `git push to "${remote}" failed: ${why}` };
  }
}
