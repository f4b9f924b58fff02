// Driving the provisioning dashboard (the webview "Mail: Provision Server" opens) like a person:
// read the plan, click Apply, answer the password inputs VS Code shows, wait until it is done.
// Shared by the UI tests that provision through the dashboard.
import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';

/** The dashboard's content frame (VS Code nests a webview's document in two iframes). */
export function dashboardFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

/**
 * Waits until the dashboard shows its plan and returns the steps' titles (none when the server
 * already matches mailwright.yaml; otherwise the Apply button is there).
 */
export async function waitForPlan(page: Page, timeoutMs = 90_000): Promise<string[]> {
  const view = dashboardFrame(page);
  try {
    await view.locator('#progress[data-phase="planned"]').waitFor({ timeout: timeoutMs });
  } catch (e) {
    const shown = await view
      .locator('#app')
      .innerText({ timeout: 1_000 })
      .catch(() => '(no dashboard)');
    throw new Error(`the dashboard did not show a plan: ${shown}`, { cause: e });
  }
  const titles = await view.locator('li.action .head strong').allInnerTexts();
  if (titles.length > 0) await view.locator('vscode-button#apply').waitFor({ timeout: 5_000 });
  return titles;
}

export interface ApplyOptions {
  /** The password to type for each new mail user (address → password); any other prompt fails. */
  passwords?: Record<string, string>;
  /** Screenshot taken once, when the first password input shows (before Apply changes anything). */
  inputScreenshot?: () => Promise<unknown>;
  /** Screenshot taken once while a step runs and at least one is done. */
  runningScreenshot?: () => Promise<unknown>;
  step?: (what: string) => void;
  timeoutMs?: number;
}

export interface AppliedRun {
  /** Addresses whose password was typed into VS Code's password input. */
  askedPasswordFor: string[];
  sawRunning: boolean;
  /** data-status of every action at the end, in plan order. */
  statuses: (string | null)[];
  /** "Committed <hash> …" line of the summary. */
  commitText: string;
  summaryText: string;
}

/**
 * Types the password when VS Code's password input asks for one. Every input is asked before
 * the first change, titled with the address and confirmed, while the dashboard says what it is
 * waiting for: a prompt that appears once a step has started fails the test. Returns the address
 * once its password is confirmed.
 */
async function answerPasswordPrompt(
  page: Page,
  passwords: Record<string, string>,
  screenshot?: () => Promise<unknown>,
): Promise<string | undefined> {
  const input = page.locator('.quick-input-widget input[type="password"]');
  if (!(await input.isVisible().catch(() => false))) return undefined;
  await screenshot?.();
  const title = (
    (await page
      .locator('.quick-input-widget .quick-input-title')
      .innerText()
      .catch(() => '')) ?? ''
  )
    .replace(/\s+/g, ' ')
    .trim();
  const match = /^Password for (\S+@[A-Za-z0-9.-]+[A-Za-z0-9]) \(new user\)( \(again\))?$/.exec(title);
  const prompt = (await page.locator('.quick-input-widget').innerText()).replace(/\s+/g, ' ');
  assert.ok(match, `unexpected password input: title "${title}", ${prompt}`);
  const address = match[1]!;
  const password = passwords[address];
  assert.ok(password, `the dashboard asked for the password of ${address}, which this test did not expect`);
  const view = dashboardFrame(page);
  const started = await view
    .locator('li.action[data-status="running"], li.action[data-status="done"]')
    .count();
  assert.equal(
    started,
    0,
    `the password of ${address} was asked after the run had started changing the server`,
  );
  const progress = await view.locator('#progress').innerText();
  assert.match(progress, new RegExp(`Waiting for: password of ${address.replace(/\./g, '\\.')}`), progress);
  await input.fill(password);
  await input.press('Enter');
  // The input closes and, for the first one, the confirmation opens with another title.
  await page
    .waitForFunction(
      (shown) =>
        document.querySelector('.quick-input-widget .quick-input-title')?.textContent?.trim() !== shown,
      title,
      { timeout: 5_000 },
    )
    .catch(() => undefined);
  return match[2] ? address : undefined;
}

/** Clicks Apply and follows the run until the dashboard says done; fails if it ends otherwise. */
export async function applyUntilDone(page: Page, opts: ApplyOptions = {}): Promise<AppliedRun> {
  const view = dashboardFrame(page);
  const log = opts.step ?? (() => {});
  await view.locator('vscode-button#apply').click();
  log('clicked Apply');
  const askedPasswordFor: string[] = [];
  let sawRunning = false;
  let shotTaken = false;
  const phase = view.locator('#progress');
  const timeoutMs = opts.timeoutMs ?? 12 * 60_000;
  for (const deadline = Date.now() + timeoutMs; ;) {
    const asked = await answerPasswordPrompt(
      page,
      opts.passwords ?? {},
      shotTaken ? undefined : async () => ((shotTaken = true), await opts.inputScreenshot?.()),
    );
    if (asked) {
      askedPasswordFor.push(asked);
      log(`typed the password of ${asked} into the password input`);
    }
    const current = await phase.getAttribute('data-phase', { timeout: 5_000 }).catch(() => null);
    if (current === 'done') break;
    assert.ok(
      // "planned" until the extension's answer to Apply arrives.
      current === 'applying' || current === 'planned' || current === null,
      `the run ended as ${current}: ${await view
        .locator('#app')
        .innerText()
        .catch(() => '')}`,
    );
    if (!sawRunning) {
      const done = await view.locator('li.action[data-status="done"]').count();
      const running = await view.locator('li.action[data-status="running"]').count();
      if (done >= 1 && running === 1) {
        sawRunning = true;
        await opts.runningScreenshot?.();
        log(`seen mid-run (${done} done, 1 running)`);
      }
    }
    assert.ok(Date.now() < deadline, `the run did not finish in ${timeoutMs / 60_000} minutes`);
    await page.waitForTimeout(400);
  }
  log('run done');
  const statuses = await view
    .locator('li.action')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
  const summary = view.locator('#summary');
  await summary.waitFor({ timeout: 30_000 });
  const commitText = await view.locator('#commit').innerText();
  const summaryText = await summary.innerText();
  await summary.scrollIntoViewIfNeeded();
  return { askedPasswordFor, sawRunning, statuses, commitText, summaryText };
}
