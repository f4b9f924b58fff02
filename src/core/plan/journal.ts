// Every file an apply run writes goes through here, so a failed action (or a failed
// restart at the end of the run) can be undone exactly, and Mailwright remembers the
// hash of what it wrote so a later hand edit shows up as drift.
import { createHash } from 'node:crypto';
import {
  readRemoteFileIfExists,
  removeRemoteFile,
  shellCommand,
  writeRemoteFileAtomic,
  WriteNotDoneError,
  type RemoteConnection,
  type WriteOptions,
} from '../remote';
import { MANAGED_STATE_DIR, MANAGED_STATE_PATH, parseManaged } from '../facts';
import { readChasquidFileHashes, withRunning } from './running';
import type { ApplyContext, FileJournal } from './types';

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Some files could not be put back: which, and why (the first cause; they usually share it). */
export class RestoreError extends Error {
  override name = 'RestoreError';
  constructor(
    readonly restored: string[],
    readonly failed: Array<{ path: string; error: Error }>,
  ) {
    const cause = failed[0]!.error.message.split('\n')[0];
    super(`Could not put back ${failed.map((f) => f.path).join(', ')}: ${cause}`);
  }
}

export class RunJournal implements FileJournal {
  /** Content before the run touched each file (null: did not exist). */
  private readonly beforeRun = new Map<string, Buffer | null>();
  /** Content before the current action touched each file. */
  private beforeAction = new Map<string, Buffer | null>();
  private readonly lastWritten = new Map<string, Buffer>();
  private readonly firstWrittenInAction = new Set<string>();
  /** path -> sha256 of what Mailwright wrote; starts from the server's state file. */
  readonly managed: Record<string, string>;
  private readonly managedBefore: Record<string, string>;
  /** The managed state changed since it was last saved. */
  dirty = false;

  constructor(
    private readonly conn: RemoteConnection,
    managed: Record<string, string>,
    private readonly signal?: AbortSignal,
  ) {
    this.managed = { ...managed };
    this.managedBefore = { ...managed };
  }

  get changedByAction(): readonly string[] {
    return [...this.beforeAction.keys()];
  }
  get changedByRun(): readonly string[] {
    return [...this.beforeRun.keys()];
  }

  beginAction(): void {
    this.beforeAction = new Map();
    this.firstWrittenInAction.clear();
  }

  async write(path: string, content: string | Buffer, opts: WriteOptions = {}): Promise<void> {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const newInRun = !this.beforeRun.has(path);
    const newInAction = !this.beforeAction.has(path);
    if (newInRun) {
      this.beforeRun.set(path, await readRemoteFileIfExists(this.conn, path));
      this.firstWrittenInAction.add(path);
    }
    if (newInAction) {
      this.beforeAction.set(path, this.lastWritten.get(path) ?? this.beforeRun.get(path) ?? null);
    }
    try {
      await writeRemoteFileAtomic(this.conn, path, bytes, { ...opts, signal: opts.signal ?? this.signal });
    } catch (error) {
      // Not written at all: nothing to put back (a rollback would only fail the same way).
      if (error instanceof WriteNotDoneError) {
        if (newInAction) this.beforeAction.delete(path);
        if (newInRun) {
          this.beforeRun.delete(path);
          this.firstWrittenInAction.delete(path);
        }
      }
      throw error;
    }
    this.lastWritten.set(path, bytes);
    this.managed[path] = sha256(bytes);
    this.dirty = true;
  }

  /** A file Mailwright deleted on purpose: no longer managed, so its absence is not drift. */
  forget(path: string): void {
    if (!(path in this.managed)) return;
    delete this.managed[path];
    this.dirty = true;
  }

  /** Records what chasquid was (re)started with (see running.ts). */
  recordRunning(files: Record<string, string>): void {
    const next = withRunning(this.managed, files);
    for (const key of Object.keys(this.managed)) delete this.managed[key];
    Object.assign(this.managed, next);
    this.dirty = true;
  }

  /** Puts back, newest first, what the current action (or the whole run) changed. Returns the paths. */
  async restore(scope: 'action' | 'run'): Promise<string[]> {
    const snapshot = scope === 'action' ? this.beforeAction : this.beforeRun;
    const restored: string[] = [];
    const failed: Array<{ path: string; error: Error }> = [];
    for (const [path, before] of [...snapshot].reverse()) {
      try {
        if (before === null) await removeRemoteFile(this.conn, path);
        else await writeRemoteFileAtomic(this.conn, path, before);
      } catch (error) {
        failed.push({ path, error: error as Error });
        continue;
      }
      restored.push(path);
      const backToRunStart = scope === 'run' || this.firstWrittenInAction.has(path);
      if (backToRunStart) {
        if (path in this.managedBefore) this.managed[path] = this.managedBefore[path]!;
        else delete this.managed[path];
        this.lastWritten.delete(path);
        this.beforeRun.delete(path);
      } else {
        // An earlier action of this run wrote it: back to that version, which stays recorded.
        this.lastWritten.set(path, before!);
        this.managed[path] = sha256(before!);
      }
    }
    this.beforeAction = new Map();
    this.firstWrittenInAction.clear();
    this.dirty = true;
    if (failed.length > 0) throw new RestoreError(restored, failed);
    return restored;
  }

  /** Records the hashes of what Mailwright wrote, so the next plan can tell hand edits apart. */
  async saveManagedState(): Promise<void> {
    await this.conn.exec(shellCommand(['mkdir', '-p', '-m', '0700', MANAGED_STATE_DIR]), { sudo: true });
    await writeRemoteFileAtomic(this.conn, MANAGED_STATE_PATH, JSON.stringify(this.managed, null, 2) + '\n', {
      mode: '0600',
      owner: 'root:root',
    });
    this.dirty = false;
  }
}

/** For the service action: undo every file of the run (used when chasquid will not start with them). */
export function journalOf(ctx: ApplyContext): RunJournal {
  return ctx.files as RunJournal;
}

/** After a restart outside an apply run (a file saved from the editor): records what chasquid started with. */
export async function recordRunningOnServer(conn: RemoteConnection): Promise<void> {
  const state = await readRemoteFileIfExists(conn, MANAGED_STATE_PATH);
  const journal = new RunJournal(conn, parseManaged(state?.toString('utf8')));
  journal.recordRunning(await readChasquidFileHashes(conn));
  await journal.saveManagedState();
}
