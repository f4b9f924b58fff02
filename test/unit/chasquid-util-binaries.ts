// Finds real chasquid-util binaries for interop tests: `chasquid-util` on PATH, plus any listed
// in CHASQUID_UTIL_BINARIES (colon-separated paths, e.g. an extracted trixie package).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseChasquidVersion, type ChasquidVersion } from '../../src/core/chasquid';

export interface ChasquidUtil {
  path: string;
  /** From the sibling `chasquid --version`, when there is one. */
  version?: ChasquidVersion;
}

function onPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}

export function findChasquidUtils(): ChasquidUtil[] {
  const paths = [onPath('chasquid-util'), ...(process.env.CHASQUID_UTIL_BINARIES ?? '').split(':')]
    .filter((p): p is string => !!p && existsSync(p))
    .filter((p, i, all) => all.indexOf(p) === i);
  return paths.map((path) => {
    const daemon = join(dirname(path), 'chasquid');
    let version: ChasquidVersion | undefined;
    if (existsSync(daemon)) {
      try {
        version = parseChasquidVersion(
          execFileSync(daemon, ['--version'], { encoding: 'utf8', timeout: 10_000 }),
        );
      } catch {
        version = undefined;
      }
    }
    return { path, version };
  });
}

export const NO_CHASQUID_UTIL =
  'chasquid-util not found (apt-get install chasquid, or set CHASQUID_UTIL_BINARIES): interop not checked';

export function tempConfigDir(confText = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailwright-chasquid-'));
  writeFileSync(join(dir, 'chasquid.conf'), confText);
  return dir;
}

/** Runs chasquid-util with a config dir; never throws on a non-zero exit. */
export function runUtil(util: ChasquidUtil, dir: string, args: string[]): { code: number; output: string } {
  const r = spawnSync(util.path, [`-C=${dir}`, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status ?? -1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
