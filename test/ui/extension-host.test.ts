// Runs test/vscode (bundled into out/test/index.js by scripts/build.mjs) inside code-server's
// extension host with the project folder as the extension under development: the workbench
// URL's `payload` carries extensionDevelopmentPath and extensionTestsPath (the code-server
// flags of the same name do not work). The tests write their results to a JSON file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingPrerequisite, PROJECT_DIR, RESULTS_DIR, withWorkbench } from './harness';

const TESTS_ENTRY = join(PROJECT_DIR, 'out', 'test', 'index.js');
const EXTENSION_MAIN = join(PROJECT_DIR, 'dist', 'extension.js');

const skip =
  missingPrerequisite() ??
  (!existsSync(TESTS_ENTRY) || !existsSync(EXTENSION_MAIN)
    ? `${TESTS_ENTRY} or ${EXTENSION_MAIN} missing: run npm run build (or npm run package)`
    : undefined);
if (skip) console.warn(`\n*** SKIPPING the extension host tests: ${skip} ***\n`);

interface Results {
  passes: number;
  failures: number;
  tests: { title: string; state: string; error?: string }[];
}

test('extension host tests (test/vscode) pass inside code-server', { skip, timeout: 150_000 }, async () => {
  // Kept after the run as an artifact, next to the screenshots.
  const resultsFile = join(RESULTS_DIR, 'extension-host-results.json');
  rmSync(resultsFile, { force: true });
  await withWorkbench(
    'extension-host',
    {
      // Fresh extensions dir without the vsix: the extension comes from the project folder.
      installVsix: false,
      url: (server) =>
        server.workbenchUrl([
          ['extensionDevelopmentPath', server.remoteUri(PROJECT_DIR)],
          ['extensionTestsPath', server.remoteUri(join(PROJECT_DIR, 'out', 'test', 'index'))],
        ]),
      env: { MAILWRIGHT_EXT_TEST_RESULTS: resultsFile },
      waitForWorkbench: false,
    },
    async ({ server, page, screenshot, step }) => {
      const deadline = Date.now() + 120_000;
      while (!existsSync(resultsFile)) {
        if (Date.now() > deadline) {
          throw new Error(
            `no results in ${resultsFile} after 120 s; code-server log:\n${server.log().slice(-4000)}`,
          );
        }
        await page.waitForTimeout(250);
      }
      await page.waitForTimeout(100); // written in one call; let it land
      step('results written');
      await screenshot('extension-host').catch(() => undefined);
      const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
      for (const t of results.tests) console.log(`  ${t.state === 'passed' ? 'ok' : t.state}: ${t.title}`);
      const failed = results.tests.filter((t) => t.state === 'failed');
      assert.equal(
        results.failures,
        0,
        `extension host tests failed:\n${failed.map((t) => `- ${t.title}\n${t.error}`).join('\n')}`,
      );
      assert.ok(results.passes >= 4, `expected at least 4 passing tests, got ${results.passes}`);
    },
  );
});
