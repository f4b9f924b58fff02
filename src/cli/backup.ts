// mailwright backup / restore: an encrypted archive of what rebuilds a server (keys, users,
// certificates, the mailwright.yaml), and its restore onto a new server followed by a provision.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  archiveLock,
  backupFileName,
  createBackup,
  generateBackupKey,
  identityOf,
  openBackup,
  planRestore,
  restorePlanLines,
  summarizeBackup,
  type BackupProgress,
  type OpenKey,
} from '../core/backup';
import { passwordRefusal } from '../core/config/password-policy';
import { gatherFacts } from '../core/facts';
import { applyPlan, eventPrinter, planHost, planLines } from '../core/plan';
import { describeTarget, EnvSecretStore } from '../core/remote';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { info, out, UsageError } from './output';
import { isInteractive, promptHidden, promptYesNo, readStdin } from './prompt';

type BackupFlags = ConnectFlags & { out?: string; 'with-mail'?: boolean; 'passphrase-stdin'?: boolean };
type RestoreFlags = ConnectFlags & {
  yes?: boolean;
  'passphrase-stdin'?: boolean;
  'age-identity'?: string;
  'check-only'?: boolean;
};

const NO_TERMINAL = 'Not a terminal: pass --passphrase-stdin and give the passphrase on stdin.';

/** A new passphrase: asked twice on a terminal, or read from stdin; checked with the password rule. */
async function newPassphrase(flags: BackupFlags): Promise<string> {
  let passphrase: string;
  if (flags['passphrase-stdin']) passphrase = await readStdin();
  else {
    if (!isInteractive()) throw new UsageError(NO_TERMINAL);
    passphrase = await promptHidden('Passphrase for the backup: ');
    if ((await promptHidden('Again: ')) !== passphrase) throw new UsageError('The two passphrases differ.');
  }
  const refusal = passwordRefusal(passphrase, 'The backup passphrase');
  if (refusal) throw new UsageError(refusal);
  return passphrase;
}

async function existingPassphrase(flags: RestoreFlags): Promise<string> {
  if (flags['passphrase-stdin']) return readStdin();
  if (!isInteractive()) throw new UsageError(NO_TERMINAL);
  return promptHidden('Passphrase of the backup: ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * What opens `file`: the identity of --age-identity (a file, or stdin for -); else, by the
 * archive's header, the identity asked on a terminal (a server's archive) or the passphrase.
 */
async function openKey(file: string, flags: RestoreFlags): Promise<OpenKey> {
  const given = flags['age-identity'];
  if (given !== undefined) {
    if (given === '-') return { identity: identityOf(await readStdin()) };
    let text: string;
    try {
      text = await readFile(resolve(given), 'utf8');
    } catch (e) {
      throw new UsageError(`--age-identity ${given}: ${(e as Error).message}`);
    }
    return { identity: identityOf(text) };
  }
  if ((await archiveLock(file)) !== 'recipient') return existingPassphrase(flags);
  if (!isInteractive())
    throw new UsageError(
      `${file} is locked for an age public key (a scheduled backup): pass --age-identity <file> with the identity file from \`mailwright backup keygen\`.`,
    );
  const answer = (await promptHidden('Identity file of the backup (or its AGE-SECRET-KEY-1… line): ')).trim();
  if (/^AGE-SECRET-KEY-/i.test(answer)) return { identity: identityOf(answer.toUpperCase()) };
  return { identity: identityOf(await readFile(resolve(answer), 'utf8')) };
}

export const keygenCommand: CommandFn = async ({ flags }) => {
  const path = resolve((flags as { out?: string }).out ?? 'mailwright-backup-identity.txt');
  const { identityFile, recipient } = await generateBackupKey();
  try {
    // Never replaces a file: an identity overwritten is every archive made for it lost.
    await writeFile(path, identityFile, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    throw new UsageError(
      (e as NodeJS.ErrnoException).code === 'EEXIST'
        ? `${path} exists: it may be the identity of earlier archives, so it is not replaced. Give another --out.`
        : `Cannot write ${path}: ${(e as Error).message}`,
    );
  }
  info(
    `Wrote the identity (the secret key that opens the archives) to ${path}, mode 0600.`,
    'Keep it off the server, and a copy somewhere safe: without it no scheduled archive opens.',
    'Put the public key below in mailwright.yaml:  backups: { schedule: { recipient: <it> } }',
  );
  out(recipient);
  return 0;
};

export const backupCommand: CommandFn = async ({ flags }, signal) => {
  const values = flags as BackupFlags;
  const passphrase = await newPassphrase(values);
  return withContext(values, async (context) => {
    const t = await context.target();
    const facts = await context.hostFacts(t.host, signal);
    const now = new Date();
    const path = resolve(values.out ?? backupFileName(t.host.name, now));
    let mailShown = false;
    let lastShown = 0;
    const progress = (p: BackupProgress) => {
      if (p.mailBytes !== undefined && !mailShown) {
        mailShown = true;
        info(
          values['with-mail']
            ? `Mail on the server: ${formatBytes(p.mailBytes)}, included.`
            : `Mail on the server: ${formatBytes(p.mailBytes)}, not included (add --with-mail to include it).`,
        );
      }
      if (p.bytes - lastShown >= 8 * 1024 * 1024) {
        lastShown = p.bytes;
        info(`  ${formatBytes(p.bytes)} received`);
      }
    };
    info(`Backing up ${t.host.name} (${describeTarget(t.conn.target)}) to ${path} …`);
    const made = await createBackup({
      conn: t.conn,
      host: t.host,
      facts,
      config: await readFile(t.configPath),
      passphrase,
      out: path,
      withMail: values['with-mail'] === true,
      signal,
      onProgress: progress,
      now,
    });
    const files = made.manifest.files.filter((f) => f.type === 'file').length;
    out(
      `Wrote ${made.path} (${formatBytes(made.bytes)}, ${files} files, mode 0600, encrypted with your passphrase).`,
    );
    info(
      'Copy it off this machine (another disk, another place): it and the passphrase are all a new server needs.',
      `Restore with: mailwright restore ${made.path} --host <host>`,
    );
    return 0;
  });
};

export const restoreCommand: CommandFn = async ({ flags, positionals }, signal) => {
  const values = flags as RestoreFlags;
  const file = resolve(positionals[0]!);
  const key = await openKey(file, values);
  // Checked whole before any connection: nothing on any server changes for a bad archive.
  info(`Opening ${file} …`);
  const backup = await openBackup(file, key);
  const m = backup.manifest;
  info(
    `Checked ${file}: ${m.files.length} entries, every sha256 matches (made ${m.createdAt} from host "${m.host.name}", ${m.host.mailHost}).`,
  );
  if (values['check-only']) {
    const summary = summarizeBackup(backup);
    out(
      `${file}: a whole backup of ${m.host.name} (${m.host.mailHost}), made ${m.createdAt}.`,
      `  ${m.files.filter((f) => f.type === 'file').length} files; domains: ${m.host.domains.join(', ') || 'none'}`,
      `  DKIM selectors: ${summary.dkim.map((d) => `${d.domain}: ${d.selectors.join(', ')}`).join('; ') || 'none'}`,
      `  users: ${summary.users.join(', ') || 'none'}`,
      `  mail: ${backup.mail.files} messages (${formatBytes(backup.mail.bytes)})`,
    );
    return 0;
  }
  return withContext(values, async (context) => {
    const t = await context.target();
    const facts = await context.hostFacts(t.host, signal);
    const plan = planRestore(t.host, facts, backup, context.fleet);
    out(...restorePlanLines(plan, describeTarget(t.conn.target)));
    if (plan.actions.length > 0 && !values.yes) {
      if (!isInteractive()) throw new UsageError('Not a terminal: pass --yes to restore without asking.');
      if (!(await promptYesNo(`Restore onto ${t.host.name}, then provision it?`))) {
        info('Nothing changed.');
        return 1;
      }
    }
    const secrets = new EnvSecretStore();
    const askSecret = isInteractive()
      ? (_key: string, prompt: string) => promptHidden(`${prompt}: `)
      : undefined;
    const common = {
      conn: t.conn,
      host: t.host,
      secrets,
      askSecret,
      signal,
      regather: () => gatherFacts(t.conn, { signal }),
      onEvent: eventPrinter((line) => out(line)),
    };
    if (plan.actions.length > 0) {
      const restored = await applyPlan(plan, common);
      if (!restored.ok) return restored.cancelled ? 130 : 1;
    }
    // The rest is a normal provision: the restored keys and users are there, so none is made anew.
    const provision = planHost(t.host, await gatherFacts(t.conn, { signal }));
    out('', ...planLines(provision, describeTarget(t.conn.target)));
    if (provision.actions.length > 0) {
      const result = await applyPlan(provision, common);
      if (!result.ok) return result.cancelled ? 130 : 1;
    }
    out(`Restored ${file} onto ${t.host.name}.`);
    for (const note of plan.notes.filter((n) => n.startsWith('DNS:'))) info(note);
    return 0;
  });
};
