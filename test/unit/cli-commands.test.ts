// The command table: every command has help made from it, the parser reads exactly its flags,
// and the one error printer and the output writers behave as the help says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COMMANDS,
  commandHelp,
  mainHelp,
  parseCommand,
  resolveCommand,
  type CommandSpec,
} from '../../src/cli/commands';
import { info, out, printJson, reportError, UsageError } from '../../src/cli/output';
import { ExpectedError } from '../../src/core/errors';
import { eventPrinter, planLines, type Plan } from '../../src/core/plan';
import { CancelledError, RemoteError } from '../../src/core/remote/errors';

const spec = (name: string): CommandSpec => {
  const found = COMMANDS.find((c) => c.name === name);
  assert.ok(found, `command ${name} is in the table`);
  return found;
};

/** What a function writes to stdout and stderr (the output module writes through them). */
function capture<T>(fn: () => T): { result: T; stdout: string; stderr: string } {
  const original = { out: process.stdout.write, err: process.stderr.write };
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    return { result: fn(), stdout, stderr };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
}

/** An example's arguments as a shell would pass them (redirections and pipes left out). */
function exampleArgs(example: string): string[] {
  const command = example
    .split('|')
    .at(-1)!
    .split(/\s[<>]\s/)[0]!
    .trim();
  const words = command.match(/"[^"]*"|\S+/g) ?? [];
  assert.equal(words[0], 'mailwright', example);
  return words.slice(1).map((w) => w.replace(/^"|"$/g, ''));
}

describe('every command of the table', () => {
  for (const command of COMMANDS) {
    it(`${command.name}: --help, help <command>, and its examples parse`, () => {
      const words = command.name.split(' ');
      const resolved = resolveCommand([...words, '--help']);
      assert.equal(resolved.kind, 'run');
      assert.equal(resolved.kind === 'run' && resolved.spec.name, command.name);
      assert.equal(parseCommand(command, ['--help']).flags.help, true);

      const help = commandHelp(command);
      assert.match(help, new RegExp(`^Usage: mailwright ${command.name}\\b`));
      assert.ok(command.summary && help.includes(command.summary), 'the summary is shown');
      for (const flag of command.flags) {
        assert.ok(flag.help.length > 0, `--${flag.name} says what it means`);
        assert.ok(help.includes(`--${flag.name}`), `--${flag.name} is in the help`);
        if (flag.default) assert.ok(help.includes(`default: ${flag.default}`), `--${flag.name}'s default`);
      }
      for (const code of ['0', '1', '2', '130']) assert.match(help, new RegExp(`^ {2}${code} +\\S`, 'm'));
      assert.ok(command.examples.length > 0, 'it has an example');
      for (const example of command.examples) {
        assert.ok(help.includes(example));
        const resolvedExample = resolveCommand(exampleArgs(example));
        assert.ok(resolvedExample.kind === 'run' && resolvedExample.spec === command, example);
        assert.doesNotThrow(
          () => resolvedExample.kind === 'run' && parseCommand(command, resolvedExample.args),
        );
      }
      const viaHelp = resolveCommand(['help', ...words]);
      assert.deepEqual(viaHelp, { kind: 'help', text: help, exit: 0 });
    });
  }

  it('the main help names every command and group, and the exit codes', () => {
    const text = mainHelp();
    for (const c of COMMANDS) assert.ok(text.includes(`  ${c.name.split(' ')[0]} `), c.name);
    assert.match(text, /^ {2}2 +wrong usage/m);
    assert.deepEqual(resolveCommand(['--help']), { kind: 'help', text, exit: 0 });
    const bare = resolveCommand([]);
    assert.ok(
      bare.kind === 'help' && bare.exit === 2 && bare.toStderr,
      'no command: the help on stderr, exit 2',
    );
  });

  it('a group without its command shows the group help', () => {
    const dns = resolveCommand(['dns', '--help']);
    assert.ok(dns.kind === 'help' && dns.exit === 0);
    for (const sub of ['check', 'plan', 'publish', 'export']) assert.ok(dns.text.includes(`dns ${sub}`));
    assert.throws(() => resolveCommand(['dns', 'chek']), /unknown command "dns chek": use one of dns check/);
  });
});

describe('the parser', () => {
  it('refuses an unknown flag, naming it and the valid ones', () => {
    assert.throws(
      () => parseCommand(spec('apply'), ['--bogus']),
      (e: unknown) =>
        e instanceof UsageError &&
        /unknown option --bogus for mailwright apply/.test(e.message) &&
        /--keep-drift/.test(e.message) &&
        /--help/.test(e.message),
    );
  });

  it('keeps repeated --host in order where a command allows several hosts, with --all', () => {
    const parsed = parseCommand(spec('plan'), ['--host', 'a', '--all', '--host', 'b']);
    assert.deepEqual(parsed.flags.host, ['a', 'b']);
    assert.equal(parsed.flags.all, true);
    assert.deepEqual(parseCommand(spec('apply'), ['--host=x']).flags.host, ['x']);
  });

  it('refuses a repeated --host where a command takes one host, never "last wins"', () => {
    for (const name of ['facts', 'renew', 'dns check', 'user add', 'send-test']) {
      const args = name === 'user add' ? ['alice@example.com'] : [];
      assert.throws(
        () => parseCommand(spec(name), [...args, '--host', 'a', '--host', 'b']),
        (e: unknown) => e instanceof UsageError && /--host was given 2 times \("a", "b"\)/.test(e.message),
        name,
      );
    }
  });

  it('keeps repeatable values in order', () => {
    const parsed = parseCommand(spec('dns check'), [
      '--resolver',
      '9.9.9.9',
      '--resolver',
      '1.1.1.1',
      '--json',
    ]);
    assert.deepEqual(parsed.flags.resolver, ['9.9.9.9', '1.1.1.1']);
    assert.equal(parsed.flags.json, true);
    assert.equal(parseCommand(spec('apply'), ['-y']).flags.yes, true);
  });

  it('says which flag lacks its value, and which takes none', () => {
    assert.throws(
      () => parseCommand(spec('facts'), ['--host']),
      /--host needs a value: --host <name\|user@host/,
    );
    assert.throws(() => parseCommand(spec('apply'), ['--yes=no']), /--yes takes no value/);
  });

  it('checks the argument count', () => {
    assert.throws(() => parseCommand(spec('user add'), []), /needs <user@domain>/);
    assert.throws(() => parseCommand(spec('analyze'), ['a.eml', 'b.eml']), /takes one <FILE\|->, not 2/);
    assert.throws(() => parseCommand(spec('apply'), ['vps']), /takes no argument, but was given "vps"/);
    assert.deepEqual(parseCommand(spec('analyze'), ['-']).positionals, ['-']);
  });

  it('refuses an unknown command with the list of commands', () => {
    assert.throws(
      () => resolveCommand(['aply']),
      (e: unknown) => e instanceof UsageError && /"aply"\. Commands: facts, plan, apply/.test(e.message),
    );
  });
});

describe('the error printer', () => {
  it('prints an expected error as its message alone: exit 2 for usage, 1 otherwise', () => {
    const usage = capture(() => reportError(new UsageError('mailwright.yaml:3:5: bad.\nFix it like this.')));
    assert.equal(usage.result, 2);
    assert.equal(usage.stderr, 'mailwright: mailwright.yaml:3:5: bad.\nFix it like this.\n');
    const remote = capture(() =>
      reportError(new RemoteError('No route to root@x:22.', 'Check the address.')),
    );
    assert.equal(remote.result, 1);
    assert.doesNotMatch(remote.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(capture(() => reportError(new ExpectedError('x'))).result, 1);
  });

  it('prints a cancel as such (130), and a bug with its stack and a request to report it', () => {
    assert.equal(capture(() => reportError(new CancelledError())).result, 130);
    const bug = capture(() => reportError(new TypeError('cannot read properties of undefined')));
    assert.equal(bug.result, 1);
    assert.match(
      bug.stderr,
      /^mailwright: unexpected error:\nTypeError: cannot read properties of undefined\n/,
    );
    assert.match(bug.stderr, /\n\s+at /, 'the stack is shown');
    assert.match(bug.stderr, /This is a bug in Mailwright\. Please report it/);
  });

  it('shows the stack of any error with --debug', () => {
    const debug = capture(() => reportError(new UsageError('bad'), { debug: true }));
    assert.equal(debug.result, 2);
    assert.match(debug.stderr, /\n\s+at /);
  });

  it('neutralises control characters in a message from a server', () => {
    const printed = capture(() =>
      reportError(new RemoteError('stderr: \u001b]0;owned\u0007 \u001b[2J done')),
    );
    assert.ok(!printed.stderr.includes('\u001b'), JSON.stringify(printed.stderr));
    assert.match(printed.stderr, /\\x1b\]0;owned\\x07 \\x1b\[2J done/);
  });
});

describe('the output writers', () => {
  it('write one line per argument; a newline or escape inside a line is shown, not obeyed', () => {
    const written = capture(() => {
      out('hostname: evil\n+ install:chasquid', 'second');
      info('\u001b[31mred\r');
    });
    assert.equal(written.stdout, 'hostname: evil\\x0a+ install:chasquid\nsecond\n');
    assert.equal(written.stderr, '\\x1b[31mred\\x0d\n');
  });

  it('print JSON whose C1 controls and separators are escaped too, still valid JSON', () => {
    const value = { hostname: 'a\u009b31mb\u2028c\u007f', esc: '\u001b' };
    const { stdout } = capture(() => printJson(value));
    // eslint-disable-next-line no-control-regex -- the point: no control character is left
    assert.doesNotMatch(stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    assert.deepEqual(JSON.parse(stdout), value);
  });

  it('keep a forged line of a plan inside its line', () => {
    const plan = {
      host: 'vps',
      facts: { os: { prettyName: 'Debian\u001b[8m\n+ install:chasquid' } },
      actions: [
        {
          id: 'hostname',
          title: 'Set the hostname',
          reason: 'the server calls itself "evil\n  2. Remove every user\u001b[0m"',
          drift: { path: '/etc/chasquid/chasquid.conf', diff: '-hostname: "a"\n+hostname: "b\u001b[2J"' },
        },
      ],
      notes: [],
    } as unknown as Plan;
    const { stdout } = capture(() => out(...planLines(plan, 'root@vps:22')));
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'Plan for vps (root@vps:22, Debian\\x1b[8m\\x0a+ install:chasquid):');
    assert.ok(!stdout.includes('\u001b'));
    assert.ok(!lines.some((l) => l.startsWith('+ install') || l.startsWith('  2.')), stdout);
    assert.equal(lines.length, 6, stdout);
    assert.equal(lines.at(-1), '       +hostname: "b\\x1b[2J"');
  });

  it('keep each line of a remote command under the apply progress', () => {
    const { stdout } = capture(() => {
      const print = eventPrinter((line) => out(line));
      print({
        type: 'output',
        id: 'install',
        stream: 'stdout',
        line: 'ok\u001b[1A\u001b[2K[2/2] done',
      } as never);
    });
    assert.equal(stdout, '      | ok\\x1b[1A\\x1b[2K[2/2] done\n');
  });
});
