// "Mail: Send Test Mail": a message through one of the user's servers, followed stage by stage
// (sent → delivered → verified) in the Mail Report panel. Every input is asked before anything
// is sent; the run can be cancelled; a notification says how it ended.
import * as vscode from 'vscode';
import { deliveryOf } from '../../core/client-settings';
import { normalizeEmailAddress } from '../../core/config';
import { resolverLookup } from '../../core/dns/lookup';
import { mailTestOptions, runMailTest, type MailTestReport, type MailTestStage } from '../../core/mailtest';
import { pickUser, type UserTarget } from '../commands/pick-user';
import { serverAddressOf } from '../connections';
import { dnsCheckSettings } from '../dns/settings';
import type { WorkspaceConfig } from '../workspace-config';
import type { MailReportStage, MailReportView } from '../../panels/mail-report/messages';
import { MailReportPanel, type MailReportPanelDeps } from './panel';
import { checksSummary } from '../../panels/mail-report/view';

export interface SendTestDeps extends MailReportPanelDeps {
  config: WorkspaceConfig;
}

interface TestInputs {
  target: UserTarget;
  from: string;
  to: string;
  password: string;
}

const STAGES: MailTestStage['name'][] = ['sent', 'delivered', 'verified'];

function stageLabel(name: MailTestStage['name']): string {
  switch (name) {
    case 'sent':
      return vscode.l10n.t('Sent');
    case 'delivered':
      return vscode.l10n.t('Delivered');
    case 'verified':
      return vscode.l10n.t('Verified');
  }
}

/** The panel's view of a run: finished stages as reported, the next one running, the rest waiting. */
export function testMailView(
  inputs: Pick<TestInputs, 'from' | 'to'> & { server: string },
  done: readonly MailTestStage[],
  report?: MailTestReport,
): MailReportView {
  const stages: MailReportStage[] = STAGES.map((name, i) => {
    const stage = done.find((s) => s.name === name);
    if (stage)
      return {
        id: name,
        label: stageLabel(name),
        status: stage.status,
        ...(stage.ms !== undefined && { durationMs: stage.ms }),
        detail: stage.detail,
      };
    return {
      id: name,
      label: stageLabel(name),
      status: !report && i === done.length ? 'running' : 'pending',
    };
  });
  const checks = report?.checks ?? [];
  const tls = report?.submission?.tls;
  return {
    version: 1,
    kind: 'test-mail',
    title: vscode.l10n.t('Test mail {0} → {1}', inputs.from, inputs.to),
    summary: report ? checksSummary(checks, vscode.l10n) : vscode.l10n.t('Sending…'),
    facts: [
      { label: vscode.l10n.t('Server'), value: inputs.server },
      { label: vscode.l10n.t('From'), value: inputs.from },
      { label: vscode.l10n.t('To'), value: inputs.to },
      ...(report?.submission?.queueId
        ? [{ label: vscode.l10n.t('Queue id'), value: report.submission.queueId }]
        : []),
      ...(tls ? [{ label: 'TLS', value: `${tls.version} ${tls.cipher}` }] : []),
      ...(report ? [{ label: vscode.l10n.t('Test token'), value: report.token }] : []),
    ],
    stages,
    checks,
    ...(report?.hops && { hops: report.hops }),
    ...(report?.submission?.transcript && { transcript: report.submission.transcript }),
    createdAt: (report ? new Date(report.startedAt) : new Date()).toISOString(),
    running: !report,
    ...(report && { actions: [{ id: 'send-again', label: vscode.l10n.t('Send again') }] }),
  };
}

async function askInputs(deps: SendTestDeps, arg: unknown): Promise<TestInputs | undefined> {
  const target = await pickUser(deps.config, arg);
  if (!target) return undefined;
  const from = `${target.user}@${target.domain.name}`;
  const to = await vscode.window.showInputBox({
    title: vscode.l10n.t('Send a test mail from {0} (1/2)', from),
    prompt: vscode.l10n.t(
      'To whom? Your own address is read back over IMAP when its mail is stored on the server; an outside address (e.g. Gmail) is followed until the server accepts it — then open it there and run Analyze Message Source.',
    ),
    value: from,
    ignoreFocusOut: true,
    validateInput: (v) => {
      const checked = normalizeEmailAddress(v);
      return checked.ok ? undefined : vscode.l10n.t('Not an address: {0}', checked.reason);
    },
  });
  if (!to) return undefined;
  const recipient = (normalizeEmailAddress(to) as { value: string }).value;
  const password = await vscode.window.showInputBox({
    title: vscode.l10n.t('Send a test mail from {0} (2/2)', from),
    prompt: vscode.l10n.t(
      'Password of {0}: used for SMTP AUTH (and IMAP to read the copy back), never stored.',
      from,
    ),
    password: true,
    ignoreFocusOut: true,
  });
  if (!password) return undefined;
  return { target, from, to: recipient, password };
}

async function run(deps: SendTestDeps, inputs: TestInputs): Promise<MailTestReport | undefined> {
  const { host } = inputs.target;
  const address = serverAddressOf(host);
  const server = `${host.mailHost} (${address})`;
  const done: MailTestStage[] = [];
  const panel = MailReportPanel.show(deps, testMailView({ ...inputs, server }, done), {
    key: 'test-mail',
    onAction: async (id) => {
      if (id === 'send-again') void run(deps, inputs);
      return undefined;
    },
  });
  const config = vscode.workspace.getConfiguration('mailwright');
  const { resolvers } = dnsCheckSettings((key) => (key === 'dns.resolvers' ? config.get(key) : undefined));
  const report = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Test mail from {0}', inputs.from),
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return runMailTest({
        ...mailTestOptions({
          host,
          from: inputs.from,
          to: inputs.to,
          password: inputs.password,
          server: address,
        }),
        ...(resolvers && resolvers.length > 0 && { resolver: resolverLookup(resolvers) }),
        signal: abort.signal,
        onStage: (stage) => {
          done.push(stage);
          progress.report({ message: `${stageLabel(stage.name)}: ${stage.detail}` });
          panel.update(testMailView({ ...inputs, server }, done));
        },
      });
    },
  );
  panel.update(testMailView({ ...inputs, server }, report.stages, report));
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const where = deliveryOf(host, inputs.to).kind;
  const message =
    failed > 0
      ? vscode.l10n.t('Test mail from {0}: {1} check(s) failed. See the report.', inputs.from, failed)
      : report.stages.some((s) => s.name === 'delivered' && s.status === 'pass')
        ? vscode.l10n.t('Test mail from {0} arrived and was verified.', inputs.from)
        : where === 'forwarded'
          ? vscode.l10n.t(
              'Test mail from {0} was accepted; open it at {1} and run Analyze Message Source.',
              inputs.from,
              inputs.to,
            )
          : vscode.l10n.t('Test mail from {0} was accepted by the server.', inputs.from);
  if (failed > 0) void vscode.window.showWarningMessage(message);
  else void vscode.window.showInformationMessage(message);
  return report;
}

export async function sendTestMailCommand(deps: SendTestDeps, arg: unknown): Promise<void> {
  const inputs = await askInputs(deps, arg);
  if (inputs) await run(deps, inputs);
}
