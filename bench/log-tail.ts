// Log tail throughput (goal: >= 20k lines/s into the document): lines per second from a
// fast producer to the text of the log document, through the real pipeline: the remote command
// over SSH (a sandbox VPS, when MAILWRIGHT_SANDBOX_13 names one; else an in-process producer),
// TailSession (line splitting, bounded ring), LogDocuments (throttled change events, content
// provider, following the end) and a document that, like VS Code's, takes the provider's whole
// text on each change and splits it into lines. Not VS Code's own text model or rendering.
//   npm run bench -- log-tail     or     MAILWRIGHT_SANDBOX_13=instance.json npx tsx bench/log-tail.ts
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import type * as vscodeTypes from 'vscode';
import type { HostConfig } from '../src/core/config';
import { shellScript, type RemoteConnection, type ShellLine } from '../src/core/remote';
import type { LogDocuments as LogDocumentsClass } from '../src/vscode/logs/log-documents';
import { connect, type SandboxInstance } from '../test/integration/sandbox-instances';

const LINES = Number(process.env.LINES ?? 500_000);
const MAX_LINES = 10_000; // mailwright.logs.maxLines default
const GOAL = 20_000;
const line = (i: number) =>
  `2026-11-28T06:56:49+00:00 vps chasquid[603]: q${i} from=alice@example.test to=bob@example.test sent`;
// The same lines, made on the server as fast as awk prints.
const PRODUCER = `awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "2026-11-28T06:56:49+00:00 vps chasquid[603]: q%d from=alice@example.test to=bob@example.test sent\\n", i }'`;

type Listener<T> = (e: T) => void;
class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  event = (l: Listener<T>) => (this.listeners.add(l), { dispose: () => this.listeners.delete(l) });
  fire(e: T) {
    for (const l of this.listeners) l(e);
  }
  dispose() {
    this.listeners.clear();
  }
}

/** The open log document and its editor, updated the way VS Code updates them. */
interface Doc {
  uri: { toString(): string; scheme: string };
  lines: string[];
  lineCount: number;
  languageId: string;
}

function installVscode(onDocumentChange: EventEmitter<{ document: Doc }>, editors: unknown[]) {
  const disposable = { dispose() {} };
  const vscode = {
    EventEmitter,
    Uri: {
      from: (c: { scheme: string; authority: string; path: string }) => ({
        ...c,
        toString: () => `${c.scheme}://${c.authority}${c.path}`,
      }),
    },
    Range: class {
      constructor(
        readonly start: unknown,
        readonly end: unknown,
      ) {}
    },
    TextEditorRevealType: { Default: 0 },
    TabInputText: class {},
    l10n: { t: (s: string) => s },
    workspace: {
      getConfiguration: () => ({ get: <T>(_k: string, d: T) => (_k === 'logs.maxLines' ? MAX_LINES : d) }),
      onDidCloseTextDocument: () => disposable,
      onDidChangeTextDocument: onDocumentChange.event,
      textDocuments: [],
    },
    window: { tabGroups: { onDidChangeTabs: () => disposable, all: [] }, visibleTextEditors: editors },
  };
  const load = (Module as unknown as { _load: (r: string, ...a: unknown[]) => unknown })._load;
  (Module as unknown as { _load: unknown })._load = (request: string, ...rest: unknown[]) =>
    request === 'vscode' ? vscode : load(request, ...rest);
  return vscode;
}

/** The producer's runner: on the sandbox over SSH, or in this process. */
function producer(conn: RemoteConnection | undefined) {
  if (conn) {
    return {
      label: 'awk on the sandbox over SSH',
      exec: (_tail: ShellLine, opts: { onStdout: (t: string) => void; signal: AbortSignal }) =>
        conn.exec(shellScript(PRODUCER, [String(LINES)]), { ...opts, check: false }),
    };
  }
  return {
    label: 'in-process producer (set MAILWRIGHT_SANDBOX_13 for the sandbox over SSH)',
    exec: async (_tail: ShellLine, opts: { onStdout: (t: string) => void }) => {
      for (let i = 0; i < LINES; i += 500) {
        let chunk = '';
        for (let j = i; j < Math.min(i + 500, LINES); j++) chunk += line(j) + '\n';
        opts.onStdout(chunk);
        await new Promise((r) => setImmediate(r)); // a socket delivers in chunks too
      }
      await new Promise(() => undefined); // a tail does not end by itself
    },
  };
}

async function main() {
  const instancePath = process.env.MAILWRIGHT_SANDBOX_13;
  const conn = instancePath
    ? connect(JSON.parse(readFileSync(instancePath, 'utf8')) as SandboxInstance)
    : undefined;
  if (conn) await conn.connect();
  const run = producer(conn);

  const changed = new EventEmitter<{ document: Doc }>();
  const doc: Doc = {
    uri: { toString: () => '', scheme: '' },
    lines: [],
    lineCount: 0,
    languageId: 'mailwright-log',
  };
  let revealed = 0;
  const editor = {
    document: doc,
    visibleRanges: [] as unknown[],
    revealRange: () => revealed++,
  };
  const vscode = installVscode(changed, [editor]);
  // After the stub: the module imports vscode.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the vscode stand-in
  const { LogDocuments } = require(join(__dirname, '../src/vscode/logs/log-documents')) as {
    LogDocuments: typeof LogDocumentsClass;
  };
  const connections = { for: () => ({ exec: run.exec }) };
  const log = { info() {}, warn() {}, error() {} };
  const documents = new LogDocuments(connections as never, log as never);
  const host = { name: 'bench' } as HostConfig;
  const uri = vscode.Uri.from({ scheme: 'mailwright-log', authority: 'bench', path: '/chasquid.log' });
  doc.uri = uri;

  let updates = 0;
  let delivered = 0;
  const start = performance.now();
  const done = new Promise<number>((resolve, reject) => {
    const timeout = setTimeout(
      () => reject(new Error(`only ${delivered} of ${LINES} lines reached the document in 120 s`)),
      120_000,
    );
    documents.onDidChange(() => {
      // What VS Code does on a content provider's change: fetch the whole text, replace the model.
      const text = documents.provideTextDocumentContent(uri as unknown as vscodeTypes.Uri);
      doc.lines = text.split('\n');
      doc.lineCount = doc.lines.length;
      updates++;
      const last = /: q(\d+) /.exec(doc.lines[doc.lineCount - 2] ?? '');
      if (last) delivered = Number(last[1]) + 1;
      changed.fire({ document: doc });
      if (delivered >= LINES) {
        clearTimeout(timeout);
        resolve(performance.now() - start);
      }
    });
  });
  // open() without the editor calls: start the session the way it does.
  (documents as unknown as { startSession(u: unknown, h: HostConfig): void }).startSession(uri, host);
  const ms = await done;
  documents.dispose();
  conn?.close();
  const rate = Math.round(LINES / (ms / 1000));
  console.log(
    `log-tail (${run.label}): ${LINES} lines into the document in ${ms.toFixed(0)} ms = ${rate} lines/s ` +
      `(${updates} document updates of <= ${MAX_LINES} lines, ${revealed} scrolls to the end); goal >= ${GOAL} lines/s: ${rate >= GOAL ? 'met' : 'NOT met'}`,
  );
}
main().catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 1;
});
