// Which SSH agent to ask for keys, as OpenSSH decides it: the socket in SSH_AUTH_SOCK on
// Linux and macOS; on Windows, SSH_AUTH_SOCK when set, else the Windows OpenSSH agent's named
// pipe, else Pageant; `IdentityAgent` (from ~/.ssh/config or mailwright.yaml) overrides all of
// these, with OpenSSH's values `none`, `SSH_AUTH_SOCK` and `$VARIABLE`.
import { existsSync } from 'node:fs';
import { createAgent } from 'ssh2';
import {
  currentSystem,
  expandUserPath,
  localEnv,
  WINDOWS_OPENSSH_AGENT_PIPE,
  type LocalSystem,
} from '../local-path';

export { WINDOWS_OPENSSH_AGENT_PIPE };
import { keyTypeOf, sha256Fingerprint } from './fingerprint';

/** ssh2's name for PuTTY's agent. */
export const PAGEANT = 'pageant';

export type AgentChoice =
  /** `agent` is what ssh2 takes: a socket path, a Windows pipe, or "pageant". `from` says why. */
  | { ok: true; agent: string; from: string }
  /** No agent to ask; `tried` says what was looked at, for the error message. */
  | { ok: false; tried: string };

export interface AgentLookup {
  system?: LocalSystem;
  /** Whether a socket or pipe exists (injectable for tests of other platforms). */
  exists?: (path: string) => boolean;
}

/** The agent for an `IdentityAgent` value (undefined: the platform's default). */
export function chooseAgent(identityAgent: string | undefined, lookup: AgentLookup = {}): AgentChoice {
  const system = lookup.system ?? currentSystem();
  const exists = lookup.exists ?? existsSync;
  const windows = system.platform === 'win32';
  const at = (path: string, from: string): AgentChoice =>
    exists(path) ? { ok: true, agent: path, from } : { ok: false, tried: `${from}: nothing at ${path}` };

  if (identityAgent === 'none') return { ok: false, tried: 'IdentityAgent is "none" (agent turned off)' };
  if (windows && identityAgent?.toLowerCase() === PAGEANT)
    return { ok: true, agent: PAGEANT, from: 'IdentityAgent pageant' };
  if (identityAgent !== undefined && identityAgent !== 'SSH_AUTH_SOCK') {
    if (identityAgent.startsWith('$')) {
      const name = identityAgent.replace(/^\$\{?|\}$/g, '');
      const value = localEnv(system, name);
      return value === undefined
        ? { ok: false, tried: `IdentityAgent ${identityAgent}: the variable ${name} is not set` }
        : at(expandUserPath(value, system), `IdentityAgent ${identityAgent}`);
    }
    return at(expandUserPath(identityAgent, system), `IdentityAgent ${identityAgent}`);
  }
  const sock = localEnv(system, 'SSH_AUTH_SOCK');
  if (sock !== undefined) return at(sock, 'SSH_AUTH_SOCK');
  if (!windows) return { ok: false, tried: 'SSH_AUTH_SOCK is not set' };
  if (exists(WINDOWS_OPENSSH_AGENT_PIPE))
    return { ok: true, agent: WINDOWS_OPENSSH_AGENT_PIPE, from: 'the Windows OpenSSH agent' };
  // Pageant cannot be looked for without asking it; ssh2 reports when it is not running.
  return {
    ok: true,
    agent: PAGEANT,
    from: `Pageant (SSH_AUTH_SOCK is not set and nothing at ${WINDOWS_OPENSSH_AGENT_PIPE})`,
  };
}

/** The keys an agent holds, as "type SHA256:… comment"; an Error when the agent does not answer. */
export function agentKeys(agent: string, timeoutMs = 5000): Promise<string[] | Error> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    try {
      createAgent(agent).getIdentities((err, keys) => {
        clearTimeout(timer);
        if (err || !keys) {
          resolve(err ?? new Error('no answer'));
          return;
        }
        resolve(
          keys.map((k) => {
            // ssh2's agents answer with parsed keys; anything else is shown as unknown.
            if (typeof k !== 'object' || !('getPublicSSH' in k)) return 'a key of unknown form';
            const blob = k.getPublicSSH();
            return `${keyTypeOf(blob)} ${sha256Fingerprint(blob)}${k.comment ? ` ${k.comment}` : ''}`;
          }),
        );
      });
    } catch (e) {
      clearTimeout(timer);
      resolve(e as Error);
    }
  });
}
