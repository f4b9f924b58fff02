// Entry point of the tests that run inside VS Code's extension host. scripts/build.mjs
// bundles this file (and the test files it imports) into out/test/index.js, with mocha
// left external: it resolves from the project's node_modules at run time.
// test/ui/extension-host.test.ts starts code-server with this file as extensionTestsPath.
import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';
import { registerExtensionTests } from './extension.test';
import { registerLazyLoadingTests } from './lazy-loading.test';

interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  // Test files are bundled, not loaded from disk by mocha: give them mocha's BDD globals
  // (describe, it, ...) the way mocha's own loader does, then let them register.
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  registerExtensionTests();
  registerLazyLoadingTests();

  const tests: TestResult[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run((n) => resolve(n));
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
    runner.on('fail', (t, err: Error) =>
      tests.push({ title: t.fullTitle(), state: 'failed', error: err.stack ?? String(err) }),
    );
    runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
  });

  const passes = tests.filter((t) => t.state === 'passed').length;
  const out = process.env.MAILWRIGHT_EXT_TEST_RESULTS;
  if (out) writeFileSync(out, JSON.stringify({ passes, failures, tests }, null, 2) + '\n');
  if (failures > 0) throw new Error(`${failures} extension host test(s) failed`);
}
