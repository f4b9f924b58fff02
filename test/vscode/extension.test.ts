// Runs inside VS Code's extension host (code-server), against the real `vscode` API.
// Registered by index.ts once mocha's BDD globals exist (this file is bundled into it).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'mailwright.mailwright';
const COMMANDS = [
  'mailwright.addServer',
  'mailwright.provision',
  'mailwright.refresh',
  'mailwright.showFacts',
];

/** Lowest VS Code version an engines.vscode range such as "^1.100.0" accepts, as [major, minor, patch]. */
export function minimumVersion(range: string): [number, number, number] {
  const m = /^\s*(?:\^|~|>=)?\s*(\d+)\.(\d+)\.(\d+|x|\*)/.exec(range);
  if (!m) throw new Error(`cannot read the engines.vscode range "${range}"`);
  return [Number(m[1]), Number(m[2]), /^\d+$/.test(m[3]!) ? Number(m[3]) : 0];
}

export function registerExtensionTests(): void {
  describe('Mailwright in the extension host', function () {
    this.timeout(30_000);

    it('is installed and activates', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `extension ${EXTENSION_ID} not found`);
      await ext.activate();
      assert.equal(ext.isActive, true);
    });

    it('registers its commands', async () => {
      await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
      const all = new Set(await vscode.commands.getCommands(true));
      const missing = COMMANDS.filter((c) => !all.has(c));
      assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
    });

    it('declares every command in its manifest under the "Mail" category', () => {
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
        contributes?: { commands?: { command: string; category?: string }[] };
      };
      const declared = new Map((pkg.contributes?.commands ?? []).map((c) => [c.command, c.category]));
      for (const c of COMMANDS) assert.equal(declared.get(c), 'Mail', `${c} in contributes.commands`);
    });

    it('asks for no VS Code newer than 1.100 (code-server 4.100.3 is the newest on Node 20)', () => {
      const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
        engines?: { vscode?: string };
      };
      const range = pkg.engines?.vscode;
      assert.ok(range, 'engines.vscode missing');
      const [major, minor] = minimumVersion(range);
      assert.ok(
        major < 1 || (major === 1 && minor <= 100),
        `engines.vscode "${range}" needs VS Code > 1.100`,
      );
      const [runMajor, runMinor] = minimumVersion(vscode.version);
      assert.ok(
        runMajor > major || (runMajor === major && runMinor >= minor),
        `running VS Code ${vscode.version} does not satisfy ${range}`,
      );
    });
  });
}
