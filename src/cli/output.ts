// How the CLI talks to its user: plain lines on stderr for progress, results on stdout.
export class UsageError extends Error {
  override name = 'UsageError';
}

export function info(line: string): void {
  process.stderr.write(line + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
