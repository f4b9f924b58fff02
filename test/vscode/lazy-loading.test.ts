// Lazy loading: activation loads dist/extension.js only; SSH, provisioning, ACME,
// files and logs load on first use. Runs inside the extension host, where require.cache
// shows exactly which bundles the extension has loaded.
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'mailwright.mailwright';
const HOST = 'lazy-test';

/** The extension's bundles Node has loaded, as paths relative to the extension (dist/…). */
function loadedBundles(extensionPath: string): string[] {
  const dist = join(extensionPath, 'dist') + sep;
  return Object.keys(require.cache)
    .filter((file) => file.startsWith(dist) && file.endsWith('.js'))
    .map((file) => relative(extensionPath, file))
    .sort();
}

export function registerLazyLoadingTests(): void {
  describe('Lazy loading', function () {
    this.timeout(30_000);
    let extensionPath = '';
    let configFile = '';

    before(async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `extension ${EXTENSION_ID} not found`);
      extensionPath = ext.extensionPath;
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the test workbench opens a workspace folder');
      // A host nobody listens for: gathering its facts fails at once, after loading SSH.
      configFile = join(folder.uri.fsPath, 'mailwright.yaml');
      writeFileSync(
        configFile,
        [
          'version: 1',
          'hosts:',
          `  - name: ${HOST}`,
          '    ssh: root@127.0.0.1:1',
          '    auth: agent',
          '    mailHost: smtp.lazy.test',
          '    domains:',
          '      - name: lazy.test',
          '',
        ].join('\n'),
      );
      await ext.activate();
    });

    after(async () => {
      rmSync(configFile, { force: true });
      await vscode.commands.executeCommand('mailwright.refresh');
    });

    it('activation and loading mailwright.yaml load dist/extension.js and the YAML parser, no feature bundle', async () => {
      await vscode.commands.executeCommand('mailwright.refresh');
      const loaded = loadedBundles(extensionPath);
      // Proves the method: the extension itself was loaded through require.
      assert.ok(
        loaded.includes(join('dist', 'extension.js')),
        `dist/extension.js not in require.cache: ${loaded}`,
      );
      // The YAML parser is a bundle of its own (shared with the features), needed to read the file.
      const atActivation = [join('dist', 'extension.js'), join('dist', 'features', 'vendor', 'yaml.js')];
      assert.deepEqual(
        loaded.filter((f) => !atActivation.includes(f)),
        [],
        'bundles loaded by activation (move their imports behind load() in src/vscode/lazy.ts)',
      );
    });

    it('"Show Server Facts" loads the remote bundle, and only it', async () => {
      // Fails (no agent, nothing on port 1) and reports it; the bundle is loaded first.
      await vscode.commands.executeCommand('mailwright.showFacts', HOST);
      const loaded = loadedBundles(extensionPath);
      assert.ok(loaded.includes(join('dist', 'features', 'remote.js')), `remote.js not loaded: ${loaded}`);
      for (const heavy of [
        'dashboard',
        'acme',
        'actions',
        'dns',
        'files',
        'logs',
        join('vendor', 'acme-client'),
      ]) {
        const file = join('dist', 'features', `${heavy}.js`);
        assert.ok(!loaded.includes(file), `${file} loaded by Show Server Facts`);
      }
    });

    it('"Analyze Message Source" loads the report bundle and mailauth, no other feature', async () => {
      // An unsigned message in the editor; a resolver that refuses at once keeps it offline.
      const config = vscode.workspace.getConfiguration('mailwright');
      await config.update('dns.resolvers', ['127.0.0.1:9'], vscode.ConfigurationTarget.Global);
      try {
        const doc = await vscode.workspace.openTextDocument({
          content: 'From: alice@lazy.test\r\nSubject: lazy\r\n\r\nbody\r\n',
        });
        await vscode.window.showTextDocument(doc);
        await vscode.commands.executeCommand('mailwright.analyzeMessage');
      } finally {
        await config.update('dns.resolvers', undefined, vscode.ConfigurationTarget.Global);
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      }
      const loaded = loadedBundles(extensionPath);
      for (const needed of ['report', join('vendor', 'mailauth')])
        assert.ok(
          loaded.includes(join('dist', 'features', `${needed}.js`)),
          `${needed}.js not loaded: ${loaded}`,
        );
      for (const other of ['dashboard', 'acme', 'actions', 'dns', 'files', 'logs']) {
        const file = join('dist', 'features', `${other}.js`);
        assert.ok(!loaded.includes(file), `${file} loaded by Analyze Message Source`);
      }
    });
  });
}
