// A real knot (scripts/testdns) on 127.0.0.1 and a free port, with one test zone and a TSIG
// key made for this run. stop() leaves nothing behind.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = resolve(__dirname, '../../scripts/testdns');

export interface LocalKnot {
  host: string;
  port: number;
  zone: string;
  keyName: string;
  /** base64, from the 0600 key file; kept in memory only. */
  secret: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export async function startKnot(name: string, zone = 'example.test'): Promise<LocalKnot> {
  const host = '127.0.0.1';
  const port = await freePort();
  const zoneDir = mkdtempSync(join(tmpdir(), 'mw-dnsprov-'));
  try {
    writeFileSync(
      join(zoneDir, `${zone}.zone`),
      [
        `$ORIGIN ${zone}.`,
        '$TTL 5',
        `@ SOA ns.${zone}. hostmaster.${zone}. 1 60 60 600 5`,
        `@ NS ns.${zone}.`,
        `ns A ${host}`,
        '',
      ].join('\n'),
    );
    await run('bash', [SCRIPT, 'stop', name]);
    const { stdout } = await run(
      'bash',
      [SCRIPT, 'start', name, '--listen', host, '--port', String(port), '--zone-dir', zoneDir],
      { timeout: 180_000 },
    );
    const stateDir = stdout.trim().split('\n').at(-1) ?? '';
    const [, keyName = '', secret = ''] = readFileSync(join(stateDir, 'tsig.key'), 'utf8').trim().split(':');
    return {
      host,
      port,
      zone,
      keyName,
      secret,
      stop: async () => void (await run('bash', [SCRIPT, 'stop', name])),
    };
  } finally {
    rmSync(zoneDir, { recursive: true, force: true });
  }
}
