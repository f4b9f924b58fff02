// Every domain gets its DKIM keys, made here in Node and uploaded only
// through files.write (SFTP, atomic). Keys that exist are kept: a later run does not rotate them
// (`mailwright dkim rotate` does, see docs/dkim-rotation.md).
// When chasquid is not installed at planning time, the path (native or legacy) is decided at
// apply time, after the install action refreshed the facts.
import { createPrivateKey } from 'node:crypto';
import { PREVIOUS_POST_DATA_HOOK, type ChasquidPath } from '../../chasquid';
import type { DomainConfig } from '../../config';
import {
  CHASQUID_DIR,
  DKIM_KEY_MODE,
  DKIM_KEY_OWNER,
  LEGACY_HOOK_PATH,
  decideLegacyDkim,
  decideNativeDkim,
  generateDkimKey,
  isEmptyDecision,
  legacyDkimFilesOf,
  legacyKeyDir,
  domainDir,
  nativeKeyPath,
  type DkimDecision,
  type LegacyDkim,
  type NewDkimKey,
} from '../../dkim';
import type { Facts } from '../../facts';
import { printable } from '../../printable';
import { BACKUP_ROOT, readRemoteFileIfExists, shellScript } from '../../remote';
import type { Action, ActionPlanner, ApplyContext } from '../types';

const ALGORITHM_LABEL = { rsa2048: 'RSA-2048', rsa3072: 'RSA-3072', rsa4096: 'RSA-4096', ed25519: 'Ed25519' };

export function decideDkim(path: ChasquidPath, domain: DomainConfig, facts: Facts, now: Date): DkimDecision {
  return path === 'legacy' ? decideLegacyDkim(domain, facts, now) : decideNativeDkim(domain, facts, now);
}

function describeKeys(keys: readonly NewDkimKey[]): string {
  return keys.map((k) => `${k.selector} ${ALGORITHM_LABEL[k.algorithm]}`).join(', ');
}

/** The keys this decision makes: without the RSA key that the legacy hook's key stands in for. */
function keysToCreate(decision: DkimDecision): NewDkimKey[] {
  const replaced = decision.legacy?.importAs?.replaces;
  return decision.create.filter((k) => k !== replaced);
}

function titleOf(decision: DkimDecision): string {
  const parts: string[] = [];
  if (decision.legacy?.importAs)
    parts.push(`move the post-data hook's DKIM key of ${decision.domain} into chasquid's own layout`);
  else if (decision.legacy) parts.push(`remove the post-data hook's DKIM files of ${decision.domain}`);
  const create = keysToCreate(decision);
  if (create.length > 0) parts.push(`create DKIM keys for ${decision.domain} (${describeKeys(create)})`);
  if (parts.length === 0)
    return `Set the DKIM selector of ${decision.domain} to ${decision.selectorFile?.content.trim() ?? ''}`;
  const title = parts.join(', then ');
  return title[0]!.toUpperCase() + title.slice(1);
}

/** Why the legacy hook's files go, and what becomes of the record already published. */
function legacyReason(domain: string, importing: boolean): string {
  return (
    `chasquid 1.14 and later signs DKIM itself, and the post-data hook of the older version would sign every message of ${domain} a second time while its selector file is there; ` +
    (importing
      ? `its RSA key keeps signing under the same selector as domains/${domain}/dkim:<selector>.pem, so the DNS record already published stays valid (if that selector cannot be used, the log says so and new keys are made, whose records you then publish)`
      : 'new keys are made, whose records you then publish')
  );
}

function reasonOf(decision: DkimDecision, path: ChasquidPath): string {
  if (decision.legacy) {
    return [legacyReason(decision.domain, Boolean(decision.legacy.importAs)), ...decision.notes].join('. ');
  }
  const parts: string[] = [];
  if (decision.create.length > 0) {
    parts.push(
      decision.reused.length > 0
        ? `${decision.domain} has DKIM keys (${decision.reused.join(', ')}) but none for ${describeKeys(decision.create)}`
        : `${decision.domain} has no DKIM key, so receivers cannot verify its mail`,
    );
  } else {
    parts.push(`the DKIM selector file of ${decision.domain} does not name the configured selector`);
  }
  parts.push(
    path === 'legacy'
      ? 'chasquid before 1.14 signs through the post-data hook (dkimsign from python3-dkim)'
      : 'chasquid signs with every domains/<domain>/dkim:<selector>.pem it loads at start',
  );
  return [parts.join('; '), ...decision.notes].join('. ');
}

/** The plan for one domain when the chasquid path is known. */
function domainAction(path: ChasquidPath, decision: DkimDecision): Action {
  return {
    id: `dkim:${decision.domain}`,
    kind: 'dkim',
    title: titleOf(decision),
    reason: reasonOf(decision, path),
    apply: (ctx) => applyDecision(ctx, path, decision),
    verify: (ctx) => verifyDecision(ctx, path, decision),
  };
}

/** chasquid is not installed yet: which files to write depends on the version installed. */
function deferredAction(domain: DomainConfig, facts: Facts, now: Date): Action {
  // An upgrade from a chasquid that signed through the post-data hook: its files are known already.
  const legacy = legacyDkimFilesOf(domain.name, facts).length > 0;
  let decided: { path: ChasquidPath; decision: DkimDecision } | undefined;
  const decide = (ctx: ApplyContext) => {
    const path = ctx.chasquidPath;
    if (!path || path === 'unsupported') {
      throw new Error(`chasquid is not installed (or too old) on ${ctx.host.name}: cannot set up DKIM.`);
    }
    decided ??= { path, decision: decideDkim(path, domain, ctx.facts, now) };
    return decided;
  };
  return {
    id: `dkim:${domain.name}`,
    kind: 'dkim',
    title: legacy
      ? `Move the post-data hook's DKIM key of ${domain.name} into chasquid's own layout once chasquid is upgraded`
      : `Create DKIM keys for ${domain.name} (${domain.dkim.algorithms.map((a) => ALGORITHM_LABEL[a]).join(', ')})`,
    reason: legacy
      ? legacyReason(domain.name, true)
      : `${domain.name} has no DKIM key; where it goes depends on the chasquid version installed first (1.14+: chasquid signs itself, older: the post-data hook)`,
    async apply(ctx) {
      const { path, decision } = decide(ctx);
      if (isEmptyDecision(decision)) return ctx.log(`DKIM keys of ${domain.name} already exist.`);
      await applyDecision(ctx, path, decision);
    },
    async verify(ctx) {
      const { path, decision } = decide(ctx);
      await verifyDecision(ctx, path, decision);
    },
  };
}

async function applyDecision(ctx: ApplyContext, path: ChasquidPath, decision: DkimDecision): Promise<void> {
  // files.write needs the directory; the domains action normally made domains/<d> already.
  const dirs = [domainDir(decision.domain), ...(path === 'legacy' ? [legacyKeyDir(decision.domain)] : [])];
  await ctx.run(shellScript('for d in "$@"; do [ -d "$d" ] || install -d -m 0755 -- "$d"; done', dirs));
  if (decision.legacy) await importLegacyKey(ctx, decision);
  for (const key of keysToCreate(decision)) {
    const pair = generateDkimKey(key.algorithm);
    const pem = key.format === 'pkcs1' ? pair.privateKeyPkcs1 : pair.privateKeyPkcs8;
    if (!pem) throw new Error(`${ALGORITHM_LABEL[key.algorithm]} keys cannot be written as PKCS#1.`);
    await ctx.files.write(key.file, pem, { mode: DKIM_KEY_MODE, owner: DKIM_KEY_OWNER });
    ctx.log(`Wrote ${ALGORITHM_LABEL[key.algorithm]} key for selector ${key.selector} to ${key.file}`);
  }
  if (decision.selectorFile) {
    await ctx.files.write(decision.selectorFile.path, decision.selectorFile.content, { mode: '0644' });
    ctx.log(`DKIM selector of ${decision.domain}: ${decision.selectorFile.content.trim()}`);
  }
  if (decision.legacy) await retireLegacyFiles(ctx, decision.legacy);
  // chasquid loads dkim:*.pem when it starts; the legacy hook reads its files for every message.
  if (path !== 'legacy' && (keysToCreate(decision).length > 0 || decision.legacy?.imported)) {
    ctx.requestRestart(`new DKIM keys for ${decision.domain}`);
  }
}

/**
 * The legacy hook's RSA key, read as root into memory only, written (PKCS#8, through the
 * journal) as chasquid's own key under the hook's selector, when that selector suits this domain.
 */
async function importLegacyKey(ctx: ApplyContext, decision: DkimDecision): Promise<void> {
  const legacy = decision.legacy!;
  const importAs = legacy.importAs;
  if (!importAs) return;
  const selector = (await readRemoteFileIfExists(ctx.conn, legacy.selectorPath))?.toString('utf8').trim();
  const pem = await readRemoteFileIfExists(ctx.conn, legacy.keyPath);
  let reason: string | undefined;
  let pkcs8: string | undefined;
  if (!selector || !pem) reason = 'the hook has no selector or no key';
  else if (!importAs.accepts(selector))
    reason = `its selector "${printable(selector)}" is not one this domain's RSA key can have (dkim.selector in mailwright.yaml)`;
  else {
    try {
      const key = createPrivateKey(pem);
      if (key.asymmetricKeyType !== 'rsa')
        reason = `its key is ${key.asymmetricKeyType ?? 'unknown'}, not RSA`;
      else pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    } catch (e) {
      reason = `its key cannot be read (${(e as Error).message})`;
    }
  }
  if (!pkcs8 || !selector) {
    ctx.log(
      `The post-data hook's DKIM key of ${decision.domain} is not kept: ${reason ?? 'unknown'}. New keys are made: publish their records (mailwright dns check shows them).`,
    );
    legacy.importAs = undefined;
    return;
  }
  const file = nativeKeyPath(decision.domain, selector);
  await ctx.files.write(file, pkcs8, { mode: DKIM_KEY_MODE, owner: DKIM_KEY_OWNER });
  legacy.imported = file;
  decision.reused.push(selector);
  ctx.log(
    `Moved the post-data hook's RSA key of ${decision.domain} (selector ${selector}) to ${file}: the published DKIM record stays valid.`,
  );
}

// $1 the backup root, then the legacy files: each moved into the backups (kept, no longer read),
// then the hook's key folder removed when nothing else is in it.
const RETIRE_LEGACY = `set -eu
root=$1; shift
for f in "$@"; do
  [ -e "$f" ] || continue
  mkdir -p -m 0700 -- "$root$(dirname -- "$f")"
  mv -f -- "$f" "$root$f.prev"
  echo "removed $f (kept as $root$f.prev)"
done
for f in "$@"; do case $f in */dkim_privkey.pem) rmdir -- "$(dirname -- "$f")" 2>/dev/null || true ;; esac; done`;

async function retireLegacyFiles(ctx: ApplyContext, legacy: LegacyDkim): Promise<void> {
  await ctx.run(shellScript(RETIRE_LEGACY, [BACKUP_ROOT, legacy.selectorPath, legacy.keyPath]));
}

// $1 expected owner:group, $2 expected mode, then the key files: each must exist as expected.
const CHECK_KEY_FILES = `set -eu
owner=$1 mode=$2; shift 2
for f in "$@"; do
  got=$(stat -c '%U:%G 0%a' -- "$f")
  [ "$got" = "$owner $mode" ] || { echo "$f is $got, expected $owner $mode" >&2; exit 1; }
done`;

// $1 the hook, $2 the distribution's hook that Mailwright's runs: one of them must be executable
// and call dkimsign, which must be installed.
const CHECK_LEGACY_HOOK = `set -eu
signer=""
for h in "$1" "$2"; do
  if [ -x "$h" ] && grep -q dkimsign -- "$h"; then signer=$h; fi
done
[ -n "$signer" ] || { echo "neither $1 nor $2 calls dkimsign: chasquid will not sign" >&2; exit 1; }
command -v dkimsign >/dev/null || { echo "dkimsign is not installed (package python3-dkim)" >&2; exit 1; }`;

async function verifyDecision(ctx: ApplyContext, path: ChasquidPath, decision: DkimDecision): Promise<void> {
  const files = [
    ...keysToCreate(decision).map((k) => k.file),
    ...(decision.legacy?.imported ? [decision.legacy.imported] : []),
  ];
  if (decision.legacy) {
    const left = await ctx.run(
      shellScript('for f in "$@"; do [ -e "$f" ] && echo "$f"; done; exit 0', [
        decision.legacy.selectorPath,
        decision.legacy.keyPath,
      ]),
    );
    if (left.stdout.trim())
      throw new Error(`the post-data hook's DKIM files are still there: ${left.stdout.trim()}`);
  }
  if (files.length > 0) {
    const r = await ctx.run(shellScript(CHECK_KEY_FILES, [DKIM_KEY_OWNER, DKIM_KEY_MODE, ...files]), {
      check: false,
    });
    if (r.exitCode !== 0) throw new Error(`DKIM key files are not right: ${r.stderr.trim()}`);
  }
  if (path === 'legacy') {
    const r = await ctx.run(
      shellScript(CHECK_LEGACY_HOOK, [LEGACY_HOOK_PATH, `${CHASQUID_DIR}/${PREVIOUS_POST_DATA_HOOK}`]),
      { check: false },
    );
    if (r.exitCode !== 0) throw new Error(r.stderr.trim());
  }
}

export const planDkim: ActionPlanner = (ctx) => {
  const actions: Action[] = [];
  for (const domain of ctx.host.domains) {
    if (!ctx.chasquidPath) {
      actions.push(deferredAction(domain, ctx.facts, ctx.now));
      continue;
    }
    if (ctx.chasquidPath === 'unsupported') continue;
    const decision = decideDkim(ctx.chasquidPath, domain, ctx.facts, ctx.now);
    if (!isEmptyDecision(decision)) actions.push(domainAction(ctx.chasquidPath, decision));
  }
  return actions;
};
