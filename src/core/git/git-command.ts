// Local git, run with execa: arguments as arrays, never through a shell, always with a cwd.

import { ExpectedError } from '../errors';
export interface GitResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class GitError extends ExpectedError {}

/** Environment that keeps git from ever waiting for a terminal (a password prompt, an editor). */
const NON_INTERACTIVE = { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GCM_INTERACTIVE: 'never' };

/**
 * Starts loading the runner git() uses, for a caller about to wait on the network (an apply
 * gathering facts before its snapshot): its first git() then does not wait for the module.
 */
export function preloadGit(): void {
  import('execa').catch(() => undefined);
}

/** Runs git in `cwd`; throws GitError on failure unless `allowFailure`. */
export async function git(
  cwd: string,
  args: readonly string[],
  /** `exactOutput`: stdout as git wrote it (a file's text), its final newline kept. */
  opts: { allowFailure?: boolean; timeoutMs?: number; exactOutput?: boolean } = {},
): Promise<GitResult> {
  // execa is ESM-only; a dynamic import keeps this CommonJS module loadable (esbuild inlines it).
  const { execa } = await import('execa');
  const result = await execa('git', [...args], {
    cwd,
    reject: false,
    stripFinalNewline: !opts.exactOutput,
    env: NON_INTERACTIVE,
    timeout: opts.timeoutMs ?? 60_000,
    stdin: 'ignore',
  });
  const out: GitResult = {
    stdout: String(result.stdout ?? ''),
    stderr: redactUrlCredentials(String(result.stderr ?? '')),
    exitCode: result.exitCode ?? -1,
  };
  if (out.exitCode !== 0 && !opts.allowFailure) {
    const why = result.timedOut ? 'timed out' : out.stderr || `exit code ${out.exitCode}`;
    throw new GitError(`git ${args[0] ?? ''} failed in ${cwd}: ${why}`);
  }
  return out;
}

/** Hides `user:token@` in URLs that git echoes back in its errors. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}
