// mailwright analyze FILE|-: judges a message that arrived elsewhere (saved as .eml, or piped
// in): its SPF, each DKIM signature, DMARC, ARC and each hop of its path.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { analyzeMessage, type SmtpEnvelope } from '../core/analyze';
import { countStatuses, formatChecks } from '../core/checks';
import { resolverLookup } from '../core/dns/lookup';
import { printable } from '../core/printable';
import { checkServer } from './dns';
import type { CommandFn } from './command-types';
import { out, printJson, UsageError } from './output';

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const analyzeCommand: CommandFn = async ({ flags, positionals }, signal) => {
  const values = flags as {
    dns?: string[];
    ip?: string;
    helo?: string;
    'mail-from'?: string;
    json?: boolean;
  };
  for (const server of values.dns ?? []) checkServer(server, '--dns');
  if (values.ip !== undefined && !isIP(values.ip))
    throw new UsageError(`--ip "${values.ip}" is not an IP address.`);
  const file = positionals[0]!;
  let raw: Buffer;
  try {
    raw = file === '-' ? await readStdin() : await readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const smtp: SmtpEnvelope = {
    ...(values.ip !== undefined && { ip: values.ip }),
    ...(values.helo !== undefined && { helo: values.helo }),
    ...(values['mail-from'] !== undefined && { mailFrom: values['mail-from'] }),
  };
  const analysis = await analyzeMessage(raw, {
    ...(values.dns?.length && { resolver: resolverLookup(values.dns, { timeoutMs: 3000 }) }),
    smtp,
    signal,
  });
  const counts = countStatuses(analysis.checks);
  if (values.json) printJson(analysis);
  else {
    const lines = [
      ...(analysis.from ? [`From:       ${printable(analysis.from)}`] : []),
      ...(analysis.subject !== undefined ? [`Subject:    ${printable(analysis.subject)}`] : []),
      ...(analysis.date ? [`Date:       ${printable(analysis.date)}`] : []),
      ...(analysis.messageId ? [`Message-ID: ${printable(analysis.messageId)}`] : []),
      '',
      ...formatChecks(analysis.checks),
      '',
      `${counts.pass} passed, ${counts.warn} warnings, ${counts.fail} failed, ${counts.skip} not judged`,
    ];
    out(...lines);
  }
  return counts.fail > 0 ? 1 : 0;
};
