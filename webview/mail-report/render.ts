// Draws a mail report: what it is about (facts), the stages of a run, the checks with their
// evidence and fix (copy buttons), the path the message took, and the SMTP transcript.
// Every text goes in as a text node.
import type { ReceivedHop } from '../../src/core/analyze/received.js';
import type { Check } from '../../src/core/checks/index.js';
import type { MailReportStage, MailReportView } from '../../src/panels/mail-report/messages.js';
import { statusLabel } from '../../src/panels/mail-report/view.js';
import { copyButton } from '../common/copy.js';
import { button, fill, h, present } from '../common/dom.js';
import { l10n, t } from '../common/l10n.js';

export interface ReportCommands {
  copy(text: string, what: string): void;
  action(id: string): void;
}

export function render(
  app: HTMLElement,
  r: MailReportView,
  ui: { error?: string; busy: boolean },
  cmd: ReportCommands,
): void {
  app.replaceChildren(
    ...present(
      h('h1', {}, r.title),
      r.facts.length > 0 &&
        h('dl', { id: 'facts' }, ...r.facts.flatMap((f) => [h('dt', {}, f.label), h('dd', {}, f.value)])),
      h(
        'p',
        { id: 'status' },
        (r.running || ui.busy) && h('vscode-progress-ring', { class: 'ring' }),
        ...fill(
          t('{0} — made {1}'),
          h('strong', { id: 'summary' }, r.summary),
          new Date(r.createdAt).toLocaleString(),
        ),
      ),
      r.error && h('p', { class: 'error', id: 'error' }, r.error),
      ui.error && h('p', { class: 'error', id: 'request-error' }, ui.error),
      r.actions &&
        r.actions.length > 0 &&
        h(
          'div',
          { class: 'buttons' },
          ...r.actions.map((a) =>
            button(a.label, () => cmd.action(a.id), {
              id: `action-${a.id}`,
              disabled: ui.busy || r.running === true,
            }),
          ),
        ),
      r.stages && r.stages.length > 0 && stages(r.stages),
      r.checks.length > 0 && checks(r.checks, cmd),
      r.hops && r.hops.length > 0 && path(r.hops),
      r.transcript && r.transcript.length > 0 && transcript(r.transcript, cmd),
    ),
  );
}

function tag(status: MailReportStage['status']): HTMLElement {
  return h('vscode-tag', { class: `status st-${status}` }, statusLabel(status, l10n));
}

function stages(list: readonly MailReportStage[]): HTMLElement {
  return h(
    'section',
    {},
    h('h2', {}, t('Stages')),
    h(
      'ol',
      { id: 'stages' },
      ...list.map((s) =>
        h(
          'li',
          { class: 'stage', 'data-id': s.id, 'data-status': s.status },
          tag(s.status),
          h('span', { class: 'label' }, s.label),
          s.durationMs !== undefined && h('span', { class: 'hint' }, t('{0} ms', s.durationMs)),
          s.detail !== undefined && h('div', { class: 'detail' }, s.detail),
        ),
      ),
    ),
  );
}

function checks(list: readonly Check[], cmd: ReportCommands): HTMLElement {
  return h(
    'section',
    {},
    h('h2', {}, t('Checks')),
    h(
      'table',
      { id: 'checks' },
      h(
        'thead',
        {},
        h('tr', {}, ...[t('Status'), t('Check'), t('Evidence'), t('Fix')].map((text) => h('th', {}, text))),
      ),
      h(
        'tbody',
        {},
        ...list.map((c) =>
          h(
            'tr',
            { class: `check st-${c.status}`, 'data-id': c.id, 'data-status': c.status },
            h('td', {}, tag(c.status)),
            h('td', { class: 'title' }, c.title),
            h(
              'td',
              { class: 'evidence' },
              h('div', { class: 'lines' }, ...c.evidence.map((e) => h('code', {}, e))),
              c.evidence.length > 0 &&
                copyButton(
                  c.evidence.join('\n'),
                  t('evidence of {0}', c.title),
                  t('Copy the evidence of {0}', c.title),
                  'copy-evidence',
                  cmd.copy,
                ),
            ),
            h(
              'td',
              { class: 'fix' },
              c.fix && c.status !== 'pass'
                ? h(
                    'div',
                    {},
                    h('span', {}, c.fix),
                    copyButton(
                      c.fix,
                      t('fix for {0}', c.title),
                      t('Copy the fix for {0}', c.title),
                      'copy-fix',
                      cmd.copy,
                    ),
                  )
                : '',
            ),
          ),
        ),
      ),
    ),
  );
}

function tls(hop: ReceivedHop): string {
  if (hop.tls === true) return [hop.tlsVersion ?? 'TLS', hop.cipher].filter(Boolean).join(' ');
  if (hop.tls === false) return t('none (plain text)');
  return t('not stated');
}

function path(hops: readonly ReceivedHop[]): HTMLElement {
  return h(
    'section',
    {},
    h('h2', {}, t('Path')),
    h(
      'table',
      { id: 'hops' },
      h(
        'thead',
        {},
        h('tr', {}, ...['#', t('From'), t('By'), t('Address'), t('TLS')].map((text) => h('th', {}, text))),
      ),
      h(
        'tbody',
        {},
        ...hops.map((hop) =>
          h(
            'tr',
            {
              class: 'hop',
              'data-index': String(hop.index),
              'data-tls': hop.tls === undefined ? 'unknown' : String(hop.tls),
              title: hop.raw,
            },
            h('td', {}, String(hop.index)),
            h(
              'td',
              {},
              hop.from ?? t('(local)'),
              hop.fromName ? h('div', { class: 'hint' }, hop.fromName) : '',
            ),
            h('td', {}, hop.by ?? '?', hop.protocol ? h('div', { class: 'hint' }, hop.protocol) : ''),
            h('td', { class: 'address' }, hop.ip ? `${hop.ip} (${hop.family ?? '?'})` : '—'),
            h('td', { class: 'tls' }, hop.local ? t('local hand-off') : tls(hop)),
          ),
        ),
      ),
    ),
  );
}

function transcript(lines: readonly string[], cmd: ReportCommands): HTMLElement {
  const text = lines.join('\n');
  return h(
    'section',
    {},
    h(
      'details',
      { id: 'transcript' },
      h('summary', {}, t('SMTP transcript ({0} lines)', lines.length)),
      copyButton(text, t('SMTP transcript'), t('Copy the SMTP transcript'), 'copy-transcript', cmd.copy),
      h('pre', {}, text),
    ),
  );
}
