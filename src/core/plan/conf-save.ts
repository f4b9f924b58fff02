// Saving one of chasquid's files edited by hand (the editor's mailwright:// files) through the
// same service control as a provision: validate → atomic upload (the previous version kept) →
// restart when chasquid reads the file only at start, else check it still runs → on failure put
// the previous file back and restart → snapshot to the workspace git. The editor only wires it.
import { posix } from 'node:path';
import { ChasquidAliases, ChasquidConf, type ChasquidDiagnostic } from '../chasquid';
import { CHASQUID_CONF_PATH, readAtStart } from '../chasquid/paths';
import { ExpectedError } from '../errors';
import { snapshotConf } from '../git';
import {
  restoreRemoteFile,
  shellCommand,
  writeRemoteFileAtomic,
  type ExecOptions,
  type RemoteConnection,
  type ShellLine,
} from '../remote';
import { confLoadProblem } from './running';
import { chasquidLog, restartChasquid, startFailureCause } from './actions/service';
import { CHASQUID_DIR } from './actions/conf';
import { recordRunningOnServer } from './journal';

/** Problems our parsers find in a file about to be saved; unknown kinds of file are not checked. */
export function validateConfFile(path: string, text: string, version?: string): ChasquidDiagnostic[] {
  if (path === CHASQUID_CONF_PATH) return ChasquidConf.parse(text).validate({ version });
  if (posix.basename(path) === 'aliases') return ChasquidAliases.parse(text).validate({ version });
  return [];
}

/** The file's name under /etc/chasquid, as messages and commits name it. */
export const confFileName = (path: string) => posix.relative(CHASQUID_DIR, path);

/** The file has errors: nothing was uploaded. */
export class ConfFileInvalidError extends ExpectedError {
  override name = 'ConfFileInvalidError';
  constructor(
    readonly file: string,
    readonly errors: ChasquidDiagnostic[],
  ) {
    const first = errors[0]!;
    super(
      `${file} has ${errors.length} error(s) (line ${first.line}: ${first.message}); nothing was uploaded.`,
    );
  }
}

/** chasquid did not run with the new file: the previous one was put back. */
export class ConfFileRejectedError extends ExpectedError {
  override name = 'ConfFileRejectedError';
  constructor(
    readonly file: string,
    /** chasquid runs again with the previous file. */
    readonly recovered: boolean,
    /** chasquid's last complaint, when it said one. */
    readonly complaint: string | undefined,
    /** The end of chasquid's journal, for the log. */
    readonly journal: string,
  ) {
    super(
      `chasquid does not run with this ${file}${complaint ? ` ("${complaint}")` : ''}: the previous file was put back ` +
        `(${recovered ? 'chasquid runs again' : 'chasquid still does not run'}).`,
    );
  }
}

/** The file sets what mailwright.yaml decides: nothing was uploaded. */
export class ConfFileOwnedError extends ExpectedError {
  override name = 'ConfFileOwnedError';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly found: string,
    readonly wanted: string,
  ) {
    super(
      `${file} sets ${field} to "${found}", but mailwright.yaml says "${wanted}" (mailHost): change it in mailwright.yaml and provision; nothing was uploaded.`,
    );
  }
}

export type ConfSaveStep = 'uploading' | 'restarting' | 'checking' | 'committing';

export interface ConfSave {
  conn: RemoteConnection;
  hostName: string;
  path: string;
  content: Uint8Array;
  /** chasquid's installed version, for the checks that depend on it. */
  version?: string;
  /** The host's mailHost from mailwright.yaml: chasquid.conf's hostname must be it. */
  mailHost?: string;
  /** chasquid's socket units (chasquidSocketUnits of the facts). */
  socketUnits?: readonly string[];
  /** Where the snapshot is committed; none: no commit. */
  workspaceRoot?: string;
  signal?: AbortSignal;
  progress?: (step: ConfSaveStep) => void;
}

export interface ConfSaveResult {
  /** Warnings and notes of the validation (errors refuse the save). */
  diagnostics: ChasquidDiagnostic[];
  restarted: boolean;
  /** The snapshot's commit, or why there is none. */
  commit?: string;
  commitError?: string;
}

async function isActive(conn: RemoteConnection): Promise<boolean> {
  const r = await conn.exec(shellCommand(['systemctl', 'is-active', 'chasquid']), {
    sudo: true,
    check: false,
  });
  return r.stdout.trim() === 'active';
}

export async function saveConfFile(req: ConfSave): Promise<ConfSaveResult> {
  const { conn, path } = req;
  const file = confFileName(path);
  const diagnostics = validateConfFile(path, Buffer.from(req.content).toString('utf8'), req.version);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new ConfFileInvalidError(file, errors);
  if (path === CHASQUID_CONF_PATH && req.mailHost) {
    // The field a provision writes from mailwright.yaml: a different value here would be undone.
    const hostname = ChasquidConf.parse(Buffer.from(req.content).toString('utf8')).get('hostname');
    if (hostname !== undefined && String(hostname) !== req.mailHost)
      throw new ConfFileOwnedError(file, 'hostname', String(hostname), req.mailHost);
  }

  req.progress?.('uploading');
  await writeRemoteFileAtomic(conn, path, Buffer.from(req.content));
  const restart = readAtStart(path);
  req.progress?.(restart ? 'restarting' : 'checking');
  const run = (line: ShellLine, opts: Omit<ExecOptions, 'signal' | 'sudo'> = {}) =>
    conn.exec(line, { ...opts, sudo: true, signal: req.signal });
  if (path === CHASQUID_CONF_PATH) {
    // As a provision does: chasquid is never restarted on a chasquid.conf it cannot load.
    const facts = { chasquid: { installed: true, version: req.version } };
    const problem = await confLoadProblem({ run, facts }, Buffer.from(req.content).toString('utf8'));
    if (problem !== undefined) {
      await restoreRemoteFile(conn, path);
      throw new ConfFileRejectedError(file, true, problem, '');
    }
  }
  const running = restart
    ? await restartChasquid(run, req.socketUnits ?? [], req.signal)
    : await isActive(conn);
  if (!running) {
    const journal = await chasquidLog(conn, 20);
    await restoreRemoteFile(conn, path);
    const recovered = await restartChasquid(run, req.socketUnits ?? [], req.signal);
    if (recovered) await recordRunningOnServer(conn);
    throw new ConfFileRejectedError(file, recovered, startFailureCause(journal), journal);
  }
  if (restart) await recordRunningOnServer(conn);

  const result: ConfSaveResult = { diagnostics, restarted: restart };
  if (!req.workspaceRoot) return result;
  req.progress?.('committing');
  try {
    const snap = await snapshotConf(conn, {
      workspaceRoot: req.workspaceRoot,
      hostName: req.hostName,
      title: `mailwright: edit ${file} on ${req.hostName}`,
      actions: [restart ? `${file} saved, chasquid restarted` : `${file} saved (chasquid re-reads it)`],
    });
    if (snap.committed) result.commit = snap.commit;
  } catch (e) {
    // The server already has the file: a failed commit is a warning, not a failed save.
    result.commitError = (e as Error).message;
  }
  return result;
}
