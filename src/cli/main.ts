// mailwright — the headless command line over the same core the extension uses. This file and
// the command table are all a start loads; a command's code is loaded when it runs.
import { CancelledError } from '../core/remote/errors';
import { parseCommand, resolveCommand, EXIT, commandHelp } from './commands';
import { linesOf, out, info, reportError } from './output';

export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug') || process.env.MAILWRIGHT_DEBUG === '1';
  const abort = new AbortController();
  // The first Ctrl-C cancels (a connection attempt, a running step is stopped and put back); a
  // second one leaves at once.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    abort.abort(new CancelledError());
  };
  process.on('SIGINT', onSigint);
  try {
    const resolved = resolveCommand(argv);
    if (resolved.kind === 'help') {
      (resolved.toStderr ? info : out)(...linesOf(resolved.text));
      return resolved.exit;
    }
    const parsed = parseCommand(resolved.spec, resolved.args);
    if (parsed.flags.help) {
      out(...linesOf(commandHelp(resolved.spec)));
      return EXIT.ok;
    }
    const run = await resolved.spec.load();
    const code = await run(parsed, abort.signal);
    // A command that noticed Ctrl-C only as a failed step still ends as interrupted.
    return interrupted && code !== EXIT.ok ? EXIT.interrupted : code;
  } catch (e) {
    return interrupted && !(e instanceof CancelledError)
      ? reportError(new CancelledError(), { debug })
      : reportError(e, { debug });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
