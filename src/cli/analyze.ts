// mailwright analyze FILE|-: judges a message that arrived elsewhere (saved as .eml, or piped
// in): its SPF, each DKIM signature, DMARC, ARC and each hop of its path.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { analyzeMessage, type SmtpEnvelope } from '../core/analyze';
import { countStatuses, formatChecks } from '../core/checks';
import { resolverLookup } from '../core/dns/lookup';
import { printable } from '../core/printable';
import { checkServer } from './dns';
import { printJson, UsageError } from './output';

export const ANALYZE_USAGE = `Usage: mailwright analyze <FILE|-> [options]

  Judge a raw message (RFC 5322, e.g. saved with "Show original" / "View source" as .eml; "-"
  reads stdin): SPF, each DKIM signature, DMARC, ARC, and each Received hop (address, TLS).
  SPF needs the connecting IP, HELO and envelope sender: they are read from the final receiver's
  Received header and Return-Path unless given here.
  Exit 0: nothing failed; 1: a check failed; 2: usage.

Options:
  --dns <ip[:port]>     resolver to ask (repeatable; default: the system's)
  --ip <address>        the connecting client's IP address, as the receiver saw it
  --helo <name>         the name it gave in EHLO/HELO
  --mail-from <address> the envelope sender (MAIL FROM; "" for a bounce)
  --json                print the analysis as JSON (stdout holds only it)
`;

const OPTIONS = {
  dns: { type: 'string', multiple: true },
  ip: { type: 'string' },
  helo: { type: 'string' },
  'mail-from': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function analyzeCommand(args: string[], signal: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  if (values.help) {
    process.stdout.write(ANALYZE_USAGE);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`analyze takes one file (or - for stdin).\n\n${ANALYZE_USAGE}`);
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
    process.stdout.write(lines.join('\n') + '\n');
  }
  return counts.fail > 0 ? 1 : 0;
}
