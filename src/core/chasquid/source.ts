// Which chasquid package a server gets: the distribution's or the pinned Debian 13 package, from
// the host's `chasquid:` setting, what is installed and what the distribution offers. The same
// decision refuses a server in the plan (before anything changes) and picks the package at
// install time, once `apt-get update` has told what the distribution really offers.
import type { ChasquidSource } from '../config';
import {
  compareDebianVersions,
  PINNED_CHASQUID,
  pinnedArchitectures,
  pinnedDebFor,
  type PinnedDeb,
} from './package';
import { decideChasquidPath } from './version';

export const SUPPORTED_SYSTEMS = 'Debian 12/13 or Ubuntu 22.04/24.04';

export interface ChasquidSourceFacts {
  /** The installed package's dpkg version; undefined when dpkg has no installed chasquid. */
  installed?: string;
  /** `file` when no package source offers the installed version (Mailwright's pinned package). */
  installedFrom?: 'archive' | 'file';
  /**
   * The distribution's newest chasquid: a version, `none` when apt (after `apt-get update`) offers
   * none, `unknown` when apt's lists may just be empty (a fresh VPS) and only an update can tell.
   */
  candidate: string | 'none' | 'unknown';
  /** dpkg's architecture (amd64, arm64, …); empty when unknown. */
  arch: string;
  /** For messages: "Ubuntu 22.04.5 LTS". */
  system: string;
}

export type ChasquidSourceDecision =
  | { kind: 'refused'; message: string }
  /** What is installed stays. */
  | { kind: 'keep' }
  /** The distribution's package, `version` when apt already told it. */
  | { kind: 'distribution'; version?: string; why: string }
  /** The pinned package, as an upgrade when an older chasquid is installed. */
  | { kind: 'pinned'; deb: PinnedDeb; upgradeFrom?: string; why: string }
  /** apt's lists say nothing yet: decided again after `apt-get update`. */
  | { kind: 'after-update' };

const PINNED_NAME = `${PINNED_CHASQUID.release}'s chasquid ${PINNED_CHASQUID.version}`;

function pinned(f: ChasquidSourceFacts, deb: PinnedDeb, why: string): ChasquidSourceDecision {
  if (f.installed === undefined) return { kind: 'pinned', deb, why };
  if (compareDebianVersions(f.installed, PINNED_CHASQUID.version) >= 0) return { kind: 'keep' };
  return { kind: 'pinned', deb, upgradeFrom: f.installed, why };
}

function noPinnedPackage(f: ChasquidSourceFacts): string {
  return (
    `Mailwright pins ${PINNED_NAME} for ${pinnedArchitectures()} only, and this server is ` +
    `${f.arch || 'of an unknown architecture'}`
  );
}

export function decideChasquidSource(
  setting: ChasquidSource,
  f: ChasquidSourceFacts,
): ChasquidSourceDecision {
  const deb = pinnedDebFor(f.arch);
  if (setting === 'debian') {
    if (!deb) {
      return {
        kind: 'refused',
        message:
          `chasquid: debian cannot be met: ${noPinnedPackage(f)}. ` +
          'Fix: set chasquid: distribution (the distribution must offer chasquid 1.10 or newer).',
      };
    }
    return pinned(f, deb, 'chasquid: debian asks for the pinned package');
  }

  if (f.installed !== undefined) {
    // An installed chasquid stays, except under auto: one too old to work is replaced, and the
    // pinned package installed earlier follows the pin. A working 1.10-1.13 keeps its DKIM hook
    // (its keys and DNS records); chasquid: debian moves it to built-in DKIM.
    if (setting === 'distribution' || !deb) return { kind: 'keep' };
    const path = decideChasquidPath(f.installed).path;
    if (path === 'unsupported') return pinned(f, deb, `chasquid ${f.installed} is too old to use`);
    if (path === 'native-dkim' && f.installedFrom === 'file') {
      return pinned(f, deb, `chasquid ${f.installed} is Mailwright's pinned package`);
    }
    return { kind: 'keep' };
  }

  if (f.candidate === 'unknown') return { kind: 'after-update' };
  if (f.candidate === 'none') {
    if (setting === 'auto' && deb)
      return { kind: 'pinned', deb, why: `${f.system} offers no chasquid package` };
    return {
      kind: 'refused',
      message:
        `${f.system} offers no chasquid package. Fix: enable the component that has it (Debian "main", ` +
        `Ubuntu "universe") and apply again${deb ? ', or set chasquid: debian' : ''}.`,
    };
  }

  const candidate = decideChasquidPath(f.candidate);
  if (setting === 'auto') {
    if (candidate.path === 'native-dkim') {
      return { kind: 'distribution', version: f.candidate, why: 'it signs DKIM itself' };
    }
    if (deb) {
      return {
        kind: 'pinned',
        deb,
        why: `${f.system} offers chasquid ${f.candidate}, which has no built-in DKIM (1.14+)`,
      };
    }
    if (candidate.path === 'legacy') {
      return {
        kind: 'distribution',
        version: f.candidate,
        why: `${noPinnedPackage(f)}: DKIM goes through the legacy hook`,
      };
    }
  } else if (candidate.path !== 'unsupported') {
    return { kind: 'distribution', version: f.candidate, why: 'chasquid: distribution asks for it' };
  }
  return {
    kind: 'refused',
    message:
      `${f.system} offers chasquid ${f.candidate}, which is too old: it lacks catch-all aliases (1.10). Fix: ` +
      (deb
        ? `set chasquid: debian (or auto) to install ${PINNED_NAME} instead.`
        : `${noPinnedPackage(f)}: install the server with Debian 13, whose chasquid is recent enough.`),
  };
}
