// Paths on the user's own machine as people write them in mailwright.yaml and in settings:
// `~/.ssh/id_ed25519` everywhere, `%USERPROFILE%\.ssh\id_ed25519` and backslashes on Windows.
// The operating system is a parameter, so the Windows and macOS rules are tested anywhere.
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

/** The named pipe of the OpenSSH agent service that ships with Windows 10 and later. */
export const WINDOWS_OPENSSH_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';

/** The parts of the local machine that decide how paths and the SSH agent are found. */
export interface LocalSystem {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
}

export function currentSystem(): LocalSystem {
  return { platform: process.platform, env: process.env, home: homedir() };
}

/** `path.win32` on Windows, `path.posix` elsewhere. */
export function pathsOf(system: LocalSystem): typeof posix {
  return system.platform === 'win32' ? win32 : posix;
}

/**
 * Expands a leading `~` (also `~\` on Windows) to the home folder and, on Windows, `%NAME%`
 * environment variables (e.g. `%USERPROFILE%`); the result uses the platform's separators.
 * Anything else (`~alice`, an unknown `%NAME%`) is left as written.
 */
export function expandUserPath(path: string, system: LocalSystem = currentSystem()): string {
  const windows = system.platform === 'win32';
  let expanded = path;
  if (expanded === '~' || expanded.startsWith('~/') || (windows && expanded.startsWith('~\\')))
    expanded = system.home + expanded.slice(1);
  if (windows) {
    expanded = expanded.replace(
      /%([A-Za-z0-9_()]+)%/g,
      (whole, name: string) => envValue(system, name) ?? whole,
    );
    return win32.normalize(expanded);
  }
  return expanded;
}

/** Environment variable names are case-insensitive on Windows. */
function envValue(system: LocalSystem, name: string): string | undefined {
  if (system.platform !== 'win32') return system.env[name];
  const key = Object.keys(system.env).find((k) => k.toUpperCase() === name.toUpperCase());
  return key === undefined ? undefined : system.env[key];
}

/** A variable of the local environment, looked up as the platform does (case-insensitive on Windows). */
export function localEnv(system: LocalSystem, name: string): string | undefined {
  const value = envValue(system, name);
  return value === '' ? undefined : value;
}
