// Draws a domain's received reports: the totals, the sending sources (failing first) with their
// reverse names, the TLS failures by type, and what was not counted. Every text goes in as a text node.
import type { ReportsView } from '../../src/panels/reports/messages.js';
import { copyButton } from '../common/copy.js';
import { button, h, present } from '../common/dom.js';
import { t } from '../common/l10n.js';

export interface ReportsCommands {
  copy(text: string, what: string): void;
  refresh(): void;
}

function sources(v: ReportsView, cmd: ReportsCommands): HTMLElement {
  return h(
    'section',
    {},
    h('h2', {}, t('Sending sources (failing first)')),
    h(
      'table',
      { id: 'sources' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('Source')),
          h('th', {}, t('Messages')),
          h('th', {}, t('Failing DMARC')),
          h('th', {}, t('DKIM aligned')),
          h('th', {}, t('SPF aligned')),
          h('th', {}, t('From')),
          h('th', {}, t('Reported by')),
        ),
      ),
      h(
        'tbody',
        {},
        ...v.sources.map((s) =>
          h(
            'tr',
            { class: s.failing > 0 ? 'failing' : 'passing' },
            h(
              'td',
              { class: 'source' },
              h('span', { class: 'ip' }, s.ip),
              s.reverse ? h('span', { class: 'reverse' }, s.reverse) : '',
              copyButton(s.ip, s.ip, t('Copy the address'), 'copy-ip', cmd.copy),
            ),
            h('td', {}, String(s.messages)),
            h('td', { class: 'count' }, String(s.failing)),
            h('td', {}, s.dkim),
            h('td', {}, s.spf),
            h('td', {}, s.headerFroms),
            h('td', {}, s.reporters),
          ),
        ),
      ),
    ),
  );
}

function tls(v: ReportsView): HTMLElement {
  return h(
    'section',
    {},
    h('h2', {}, t('TLS sessions to the server')),
    h('p', { id: 'tls' }, v.tls ?? ''),
    v.tlsFailures.length > 0
      ? h(
          'table',
          { id: 'tls-failures' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, t('Failure')),
              h('th', {}, t('Sessions')),
              h('th', {}, t('MX hosts')),
              h('th', {}, t('Sending servers')),
            ),
          ),
          h(
            'tbody',
            {},
            ...v.tlsFailures.map((f) =>
              h(
                'tr',
                { class: 'failing' },
                h('td', {}, f.resultType),
                h('td', {}, String(f.sessions)),
                h('td', {}, f.mxHosts),
                h('td', {}, f.sendingIps),
              ),
            ),
          ),
        )
      : '',
  );
}

export function render(
  app: HTMLElement,
  v: ReportsView,
  error: string | undefined,
  cmd: ReportsCommands,
): void {
  app.replaceChildren(
    ...present(
      h('h1', {}, v.title),
      h(
        'p',
        { id: 'status' },
        v.status === 'loading' && h('vscode-progress-ring', { class: 'ring' }),
        v.status === 'loading' ? t('Reading the store on {0}…', v.host) : (v.summary ?? ''),
        button(t('Refresh'), () => cmd.refresh(), { id: 'refresh', disabled: v.status === 'loading' }),
      ),
      v.error !== undefined && h('p', { class: 'error', id: 'error' }, v.error),
      error !== undefined && h('p', { class: 'error', id: 'request-error' }, error),
      v.totals.length > 0 &&
        h('dl', { id: 'totals' }, ...v.totals.flatMap((x) => [h('dt', {}, x.label), h('dd', {}, x.value)])),
      v.sources.length > 0 && sources(v, cmd),
      v.tls !== undefined && tls(v),
      v.notices.length > 0 &&
        h(
          'section',
          {},
          h('h2', {}, t('Not counted')),
          h('ul', { id: 'notices' }, ...v.notices.map((n) => h('li', {}, n))),
        ),
    ),
  );
}
