// Reading secrets from a person (a TTY, without echo) or from a pipe — never from argv.
import { createInterface } from 'node:readline';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new Error('Interrupted.'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export async function promptYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** All of stdin, without the final newline (for `echo secret | mailwright user add …`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** An existing password: asked once on a TTY, else read from stdin. */
export async function readPassword(what: string): Promise<string> {
  return isInteractive() ? promptHidden(`Password of ${what}: `) : readStdin();
}

/** A new password: asked twice on a TTY, else read from stdin. */
export async function readNewPassword(what: string): Promise<string> {
  if (isInteractive()) {
    const first = await promptHidden(`New password for ${what}: `);
    const second = await promptHidden('Again: ');
    if (first !== second) throw new Error('The two passwords differ.');
    return first;
  }
  return readStdin();
}
