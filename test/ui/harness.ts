// Test harness for the UI tests: a real VS Code (code-server 4.100.3 = VS Code 1.100.3) in
// a real browser (Debian's Chromium driven by playwright-core). Everything a run creates
// lives in one temp folder (user data, extensions, XDG dirs, HOME, the workspace, the
// browser profile) and is removed at the end; code-server and the browser are always
// stopped, even when the test fails. Screenshots go to test-results/ui/.
//
// Install code-server and Chromium first with `bash scripts/ui-deps`.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  cpSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const PROJECT_DIR = resolve(__dirname, '..', '..');
export const RESULTS_DIR = join(PROJECT_DIR, 'test-results', 'ui');
export const VSIX = join(PROJECT_DIR, 'dist', 'mailwright.vsix');
export const CODE_SERVER_VERSION = '4.100.3';

/** Where scripts/ui-deps installs code-server (MAILWRIGHT_CODE_SERVER overrides). */
export function codeServerBin(): string {
  if (process.env.MAILWRIGHT_CODE_SERVER) return process.env.MAILWRIGHT_CODE_SERVER;
  const cache = process.env.MAILWRIGHT_CACHE_DIR || '/var/cache/mailwright';
  return join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', '.bin', 'code-server');
}

export const CHROMIUM = process.env.MAILWRIGHT_CHROMIUM || '/usr/bin/chromium';

/** Why the UI tests cannot run here, or undefined when they can. */
export function missingPrerequisite(opts: { vsix?: boolean } = {}): string | undefined {
  if (!existsSync(codeServerBin()))
    return `code-server not found at ${codeServerBin()}: run bash scripts/ui-deps`;
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found: run bash scripts/ui-deps`;
  if (opts.vsix && !existsSync(VSIX)) return `${VSIX} not found: run npm run package`;
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'test';
}

export interface CodeServerOptions {
  /** Install dist/mailwright.vsix into the (fresh) extensions dir first. */
  installVsix?: boolean;
  /** Files to write into the workspace folder before the workbench opens (relative path → content). */
  workspaceFiles?: Record<string, string>;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
  /** User settings.json content. */
  settings?: Record<string, unknown>;
  /** VS Code's display language, e.g. "zh-cn" (default English): see CodeServer.useLocale. */
  locale?: string;
}

// code-server runs in its own process group (so that stop() reaches its children): if this
// process dies before stop() (a test timeout, Ctrl-C), take those groups down with it.
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const g of liveGroups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => process.exit(130));
}

export class CodeServer {
  readonly root: string;
  readonly workspace: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  port = 0;
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly opts: CodeServerOptions = {},
  ) {
    this.root = mkdtempSync(join(tmpdir(), 'mailwright-ui-'));
    this.workspace = join(this.root, 'workspace');
    this.userDataDir = join(this.root, 'user-data');
    this.extensionsDir = join(this.root, 'extensions');
    for (const d of [this.workspace, this.userDataDir, this.extensionsDir]) mkdirSync(d, { recursive: true });
    const home = join(this.root, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    // A private HOME and XDG dirs: nothing leaks in from the machine (~/.ssh/known_hosts,
    // Mailwright's own known_hosts, code-server's config.yaml) and nothing leaks out.
    this.env = {
      PATH: process.env.PATH,
      LANG: process.env.LANG || 'C.UTF-8',
      TMPDIR: process.env.TMPDIR,
      USER: process.env.USER,
      LOGNAME: process.env.LOGNAME,
      SHELL: process.env.SHELL,
      HOME: home,
      XDG_CONFIG_HOME: join(this.root, 'xdg-config'),
      XDG_DATA_HOME: join(this.root, 'xdg-data'),
      XDG_CACHE_HOME: join(this.root, 'xdg-cache'),
      XDG_STATE_HOME: join(this.root, 'xdg-state'),
      // No extension marketplace: code-server would otherwise query open-vsx.org.
      EXTENSIONS_GALLERY: JSON.stringify({
        serviceUrl: '',
        itemUrl: '',
        resourceUrlTemplate: '',
        controlUrl: '',
      }),
      ...opts.env,
    };
    for (const [k, v] of Object.entries(this.env)) if (v === undefined) delete this.env[k];
    mkdirSync(RESULTS_DIR, { recursive: true });
    this.logFile = join(RESULTS_DIR, `${safeName(name)}-code-server.log`);
    for (const old of ['code-server.log', 'browser.log', 'failure.png']) {
      rmSync(join(RESULTS_DIR, `${safeName(name)}-${old}`), { force: true });
    }
    for (const [rel, content] of Object.entries(opts.workspaceFiles ?? {})) {
      writeFileSync(join(this.workspace, rel), content);
    }
    const settings = {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'update.mode': 'none',
      'security.workspace.trust.enabled': false,
      'window.dialogStyle': 'custom',
      ...opts.settings,
    };
    mkdirSync(join(this.userDataDir, 'User'), { recursive: true });
    writeFileSync(join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  }

  private baseArgs(): string[] {
    return [
      '--user-data-dir',
      this.userDataDir,
      '--extensions-dir',
      this.extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
    ];
  }

  /**
   * Runs VS Code in `locale`. VS Code switches its display language only when a language pack for
   * it is installed; the real packs come from the marketplace, which the test machines cannot
   * reach. So a pack is made here that declares the language and translates nothing of VS Code
   * itself (the workbench stays English; extensions' own translations show), and the list of
   * packs that VS Code keeps in its user data (languagepacks.json, written when a pack is
   * installed from the UI and read by code-server at start) is written for it.
   */
  private useLocale(locale: string): void {
    const id = `language-pack-${safeName(locale)}`;
    const dir = join(this.root, id);
    mkdirSync(join(dir, 'translations'), { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: id,
        publisher: 'mailwright-test',
        version: '0.0.1',
        license: 'MIT',
        description: `Declares ${locale} for the UI tests; translates nothing of VS Code.`,
        engines: { vscode: '^1.100.0' },
        categories: ['Language Packs'],
        contributes: {
          localizations: [
            {
              languageId: locale,
              languageName: locale,
              translations: [{ id: 'vscode', path: './translations/main.i18n.json' }],
            },
          ],
        },
      }),
    );
    writeFileSync(
      join(dir, 'translations', 'main.i18n.json'),
      JSON.stringify({ version: '1.0.0', contents: {} }),
    );
    writeFileSync(join(dir, 'README.md'), `Test language pack for ${locale}.\n`);
    writeFileSync(join(dir, 'LICENSE'), 'MIT\n');
    const vsix = join(this.root, `${id}.vsix`);
    const r = spawnSync(
      join(PROJECT_DIR, 'node_modules', '.bin', 'vsce'),
      ['package', '--allow-missing-repository', '--out', vsix],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    if (r.status !== 0)
      throw new Error(`vsce package of the ${locale} test pack failed:\n${r.stdout}\n${r.stderr}`);
    this.installExtension(vsix);
    const installed = readdirSync(this.extensionsDir).find((d) => d.startsWith(`mailwright-test.${id}-`));
    if (!installed)
      throw new Error(`the ${locale} test pack is not in ${this.extensionsDir} after its install`);
    writeFileSync(
      join(this.userDataDir, 'languagepacks.json'),
      JSON.stringify({
        [locale]: {
          hash: createHash('sha256').update(installed).digest('hex').slice(0, 16),
          extensions: [{ extensionIdentifier: { id: `mailwright-test.${id}` }, version: '0.0.1' }],
          translations: { vscode: join(this.extensionsDir, installed, 'translations', 'main.i18n.json') },
          label: locale,
        },
      }),
    );
  }

  installExtension(vsix: string): void {
    const r = spawnSync(codeServerBin(), [...this.baseArgs(), '--install-extension', vsix], {
      env: this.env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) {
      throw new Error(
        `code-server --install-extension ${vsix} failed (${r.status}):\n${r.stdout}\n${r.stderr}`,
      );
    }
  }

  async start(): Promise<void> {
    if (this.opts.locale) this.useLocale(this.opts.locale);
    if (this.opts.installVsix) {
      const t = Date.now();
      this.installExtension(VSIX);
      console.log(`[${this.name}] installed ${VSIX} in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    }
    // A free port can be taken between the check and the bind: try a few.
    for (let attempt = 1; ; attempt++) {
      this.port = await freePort();
      const log = createWriteStream(this.logFile, { flags: 'a' });
      const proc = spawn(
        codeServerBin(),
        [
          ...this.baseArgs(),
          '--auth',
          'none',
          '--bind-addr',
          `127.0.0.1:${this.port}`,
          '--ignore-last-opened',
          ...(this.opts.locale ? ['--locale', this.opts.locale] : []),
          this.workspace,
        ],
        // Own process group, so stop() ends code-server and every process it started.
        { env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      this.proc = proc;
      if (proc.pid) liveGroups.add(proc.pid);
      proc.stdout?.pipe(log);
      proc.stderr?.pipe(log);
      let exitCode: number | null | undefined;
      this.exited = new Promise((res) =>
        proc.once('exit', (code) => {
          exitCode = code;
          res();
        }),
      );
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && exitCode === undefined) {
        try {
          const r = await fetch(`http://127.0.0.1:${this.port}/healthz`);
          if (r.ok) return;
        } catch {
          // not listening yet
        }
        await sleep(200);
      }
      await this.stop();
      if (attempt >= 3) {
        throw new Error(`code-server did not answer on port ${this.port}; see ${this.logFile}`);
      }
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  workbenchUrl(payload?: [string, string][]): string {
    let u = `${this.url}/?folder=${encodeURIComponent(this.workspace)}`;
    if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return u;
  }

  /** vscode-remote:// URI of a path on the code-server machine, as the payload wants it. */
  remoteUri(path: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${path}`;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc?.pid && proc.exitCode === null && proc.signalCode === null) {
      const group = -proc.pid;
      try {
        process.kill(group, 'SIGTERM');
      } catch {
        // already gone
      }
      const done = await Promise.race([this.exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!done) {
        try {
          process.kill(group, 'SIGKILL');
        } catch {
          // already gone
        }
        await Promise.race([this.exited, sleep(2_000)]);
      }
    }
    // Children that outlive the main process (extension host, file watcher) share its group.
    if (proc?.pid) {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // none left
      }
      liveGroups.delete(proc.pid);
    }
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface Workbench {
  server: CodeServer;
  /** Logs "[name +12.3s] what" (the test runner shows it), to see where the time goes. */
  step(what: string): void;
  context: BrowserContext;
  page: Page;
  /** Saves test-results/ui/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
}

export interface WorkbenchOptions extends CodeServerOptions {
  /** Workbench URL from the started server (default: the workspace folder). */
  url?: (server: CodeServer) => string;
  /** Wait for .monaco-workbench (default true). */
  waitForWorkbench?: boolean;
}

/**
 * Starts code-server, opens the workbench in Chromium, runs fn, and always tears
 * everything down. On failure, saves <name>-failure.png and keeps code-server's log.
 */
export async function withWorkbench<T>(
  name: string,
  opts: WorkbenchOptions,
  fn: (wb: Workbench) => Promise<T>,
): Promise<T> {
  const t0 = Date.now();
  const step = (what: string): void =>
    console.log(`[${name} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);
  const server = new CodeServer(name, opts);
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const screenshot = async (shot: string): Promise<string> => {
    const file = join(RESULTS_DIR, `${safeName(shot)}.png`);
    await page!.screenshot({ path: file });
    return file;
  };
  const browserLog: string[] = [];
  try {
    await server.start();
    step(`code-server listening on ${server.url}`);
    context = await chromium.launchPersistentContext(join(server.root, 'browser-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
      timeout: 60_000,
    });
    // Only loopback: anything else the workbench asks for is refused and reported.
    const offLoopback: string[] = [];
    await context.route(
      (url) => /^(https?|wss?):$/.test(url.protocol) && !isLoopback(url.hostname),
      (route) => {
        offLoopback.push(route.request().url());
        browserLog.push(`[blocked] ${route.request().url()}`);
        return route.abort('blockedbyclient');
      },
    );
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') browserLog.push(`[console.${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => browserLog.push(`[pageerror] ${e.message}`));
    step('browser started');
    await page.goto(opts.url ? opts.url(server) : server.workbenchUrl(), { timeout: 60_000 });
    if (opts.waitForWorkbench !== false) {
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      step('workbench visible');
    }
    const result = await fn({ server, context, page, screenshot, step });
    step('done');
    if (offLoopback.length) {
      console.warn(`[${name}] blocked requests to non-loopback addresses:\n  ${offLoopback.join('\n  ')}`);
    }
    return result;
  } catch (e) {
    // VS Code's own logs (extension host, the Mailwright output channel) say what the page cannot.
    try {
      cpSync(join(server.userDataDir, 'logs'), join(RESULTS_DIR, `${safeName(name)}-vscode-logs`), {
        recursive: true,
      });
    } catch {
      // no logs yet
    }
    if (page) {
      // Notifications often say why (an error from a command); CI keeps only this output.
      const toasts = await page
        .locator('.notifications-toasts .notification-list-item-message')
        .allInnerTexts()
        .catch(() => [] as string[]);
      if (toasts.length) (e as Error).message += `\n(notifications: ${toasts.join(' | ')})`;
      try {
        const file = await screenshot(`${name}-failure`);
        (e as Error).message += `\n(screenshot: ${file}; code-server log: ${server.logFile})`;
      } catch {
        // the page may be gone
      }
    }
    throw e;
  } finally {
    if (browserLog.length) {
      writeFileSync(join(RESULTS_DIR, `${safeName(name)}-browser.log`), browserLog.join('\n') + '\n');
    }
    await context?.close().catch(() => undefined);
    await server.stop();
    server.cleanup();
  }
}

function isLoopback(hostname: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(hostname);
}

// ---------------------------------------------------------------- workbench helpers

/** A row of the "Mail Servers" tree (or the tree named `tree`) whose label contains `label`. */
export function treeRow(page: Page, label: string | RegExp, tree = 'Mail Servers'): Locator {
  return page
    .getByRole('tree', { name: tree })
    .getByRole('treeitem')
    .filter({ has: page.locator('.label-name', { hasText: label }) })
    .first();
}

/** The labels of a quick pick's items, in order (an item's detail line is a label of its own). */
export async function itemLabels(quickInput: Locator): Promise<string[]> {
  const rows = await quickInput.locator('.monaco-list-row').all();
  return Promise.all(rows.map(async (row) => (await row.locator('.label-name').first().innerText()).trim()));
}

/** Answers the first connection's unknown-host-key dialog with "Trust and Connect". */
export async function trustHostKey(page: Page, timeoutMs = 60_000): Promise<void> {
  const dialog = page.getByRole('dialog').filter({ hasText: 'Mailwright: unknown host key for' });
  await dialog.waitFor({ timeout: timeoutMs });
  await dialog.getByRole('button', { name: 'Trust and Connect' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
}

/**
 * Answers the question asked once per workspace before it becomes a git repository (the first
 * snapshot of a run or a save), when it is showing; true when it was.
 */
export async function answerGitHistoryQuestion(page: Page, keep = true): Promise<boolean> {
  const dialog = page
    .getByRole('dialog')
    .filter({ hasText: "Keep the history of the servers' configuration in git?" });
  if (!(await dialog.isVisible().catch(() => false))) return false;
  await dialog.getByRole('button', { name: keep ? 'Keep History in Git' : 'Not in This Workspace' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  return true;
}

/** Runs a command from the palette: F1, type its title, Enter on the matching entry. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  // The row whose label starts with the title: Enter would run the top row, which may be another
  // command that matches as well ("Mail: Provision All Servers" for "Mail: Provision Server").
  const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escaped}`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
}

/**
 * Runs a command from the palette, again until it takes: a palette opened while the workbench is
 * still loading, or over another quick input, can lose the keystrokes.
 */
export async function runCommandUntilTaken(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  await eventually(async () => {
    await page.keyboard.press('Escape');
    await runCommand(page, title);
  }, timeoutMs);
}

/**
 * Types into the quick input once it shows a title that matches (a step's title, e.g. "… (1/2)"),
 * then presses Enter: text typed before the input is there would go to another one.
 */
export async function answerQuickInput(
  page: Page,
  title: RegExp,
  text: string,
  opts: { password?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await eventually(async () => {
    assert.match((await widget.locator('.quick-input-title').textContent()) ?? '', title);
  }, opts.timeoutMs ?? 30_000);
  const input = widget.locator(opts.password ? 'input[type="password"]' : 'input.input').first();
  await input.fill(text);
  await input.press('Enter');
}

/**
 * Expands a tree row and waits until it shows expanded. A click on a row still being drawn can be
 * lost, and a row the tree expands by itself meanwhile must not be clicked shut: the state is read
 * again before each click, and each click is given a few seconds to take.
 */
export async function expandRow(row: Locator, timeoutMs = 15_000): Promise<void> {
  await eventually(async () => {
    if ((await row.getAttribute('aria-expanded')) === 'true') return;
    await row.click();
    await row.and(row.page().locator('[aria-expanded="true"]')).waitFor({ timeout: 3_000 });
  }, timeoutMs);
}

/**
 * Picks `item` from the context menu of `row` (a tree row), again until it takes: a right-click
 * on a row still being drawn, or a click on a menu still opening, can be lost (the menu then
 * stays open, the item under the pointer focused).
 */
export async function chooseFromContextMenu(
  page: Page,
  row: Locator,
  item: string | RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  await eventually(async () => {
    await page.keyboard.press('Escape');
    await row.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.getByRole('menuitem', { name: item }).click({ timeout: 5_000 });
    // A click the menu did not take leaves it open, the item under the pointer focused: Enter
    // runs it. Still open: again.
    if (await menu.isVisible()) {
      await page.waitForTimeout(300);
      if (await menu.isVisible()) await page.keyboard.press('Enter');
    }
    await menu.waitFor({ state: 'hidden', timeout: 3_000 });
  }, timeoutMs);
}

/** A notification toast whose message matches. */
export function toast(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-list-item').filter({ hasText: text }).first();
}

// ---------------------------------------------------------------- sandbox

export interface SandboxInstance {
  name: string;
  ipv4: string;
  port: number;
  rootKey: string;
  user?: string;
  userKey?: string;
  hostKeys: string[];
  knownHostsFile?: string;
}

/** The sandbox VPS from MAILWRIGHT_SANDBOX_INSTANCE (path to instance.json), or undefined. */
/**
 * Why a UI test on the sandbox cannot run here (no sandbox given, code-server, Chromium or the
 * packaged extension missing), said once on the console; undefined when it can run.
 */
export function skipWithoutSandbox(instance: SandboxInstance | undefined, what: string): string | undefined {
  const skip = !instance
    ? 'MAILWRIGHT_SANDBOX_INSTANCE is not set (path to a sandbox instance.json): run bash scripts/test-ui'
    : missingPrerequisite({ vsix: true });
  if (skip) console.warn(`\n*** SKIPPING ${what}: ${skip} ***\n`);
  return skip;
}

export function sandboxInstance(): SandboxInstance | undefined {
  const file = process.env.MAILWRIGHT_SANDBOX_INSTANCE;
  if (!file) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as SandboxInstance;
}

/**
 * OpenSSH SHA256 fingerprint ("SHA256:" + unpadded base64 of the SHA-256 of the key blob) of a
 * public key line: "type base64 [comment]", or a known_hosts line "hosts type base64".
 */
export function fingerprintOf(keyLine: string): { type: string; fingerprint: string } {
  const words = keyLine.trim().split(/\s+/);
  const i = words.findIndex((w) => /^(ssh-|ecdsa-|sk-)/.test(w));
  const type = words[i];
  const b64 = words[i + 1];
  if (i < 0 || !type || !b64) throw new Error(`not an SSH public key line: ${keyLine}`);
  const digest = createHash('sha256').update(Buffer.from(b64, 'base64')).digest('base64');
  return { type, fingerprint: `SHA256:${digest.replace(/=+$/, '')}` };
}

/** Retries check (which throws on failure) until it passes or timeoutMs is over; rethrows the last failure. */
export async function eventually(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(300);
    }
  }
}
