// Draws the whole dashboard from the state. Redrawn on every state (at most ~10 per second);
// output blocks are scrolled to their end so live output follows. Once a run is done its
// summary comes first, and each step's output is folded away (open while it runs or failed).
import type {
  ActionView,
  DriftDecision,
  SavedWebviewState,
  SummaryView,
} from '../../src/panels/dashboard/messages.js';
import { copyButton } from '../common/copy.js';
import { button, fill, h, present } from '../common/dom.js';
import { t } from '../common/l10n.js';

export interface Commands {
  apply(): void;
  cancel(): void;
  replan(): void;
  rerun(from: string): void;
  decide(path: string, decision: DriftDecision): void;
  copy(text: string, what: string): void;
}

function statusLabel(status: ActionView['status']): string {
  switch (status) {
    case 'pending':
      return t('pending');
    case 'running':
      return t('running');
    case 'done':
      return t('done');
    case 'failed':
      return t('failed');
    case 'skipped':
      return t('skipped');
  }
}

export function render(
  app: HTMLElement,
  view: SavedWebviewState,
  error: string | undefined,
  cmd: Commands,
): void {
  const s = view.state;
  const busy = s.phase === 'gathering' || s.phase === 'applying';
  app.replaceChildren(
    ...present(
      h('h1', {}, t('Provision {0}', s.hostName)),
      h('p', { class: 'target' }, s.target, s.os ? ` · ${s.os}` : ''),
      h(
        'p',
        { id: 'progress', 'data-phase': s.phase },
        busy && h('vscode-progress-ring', { class: 'ring' }),
        s.progress ?? '',
      ),
      s.fraction !== undefined && h('progress', { max: '1', value: String(s.fraction) }),
      s.phase === 'interrupted' &&
        h(
          'p',
          { class: 'banner' },
          t(
            'VS Code was reloaded. This is the last state the dashboard saw; a run cannot survive a reload, so nothing is running now. Plan again to see what is left to do.',
          ),
        ),
      s.error && h('p', { class: 'error', id: 'error' }, s.error),
      error && h('p', { class: 'error', id: 'request-error' }, error),
      s.summary && summary(s.summary, cmd),
      s.actions.length > 0 && h('ol', { id: 'actions' }, ...s.actions.map((a) => actionItem(a, view, cmd))),
      s.phase === 'planned' &&
        s.actions.length === 0 &&
        h('p', {}, t('The server already matches mailwright.yaml: nothing to do.')),
      s.notes.length > 0 &&
        h(
          'section',
          { id: 'notes' },
          h('h2', {}, t('Notes')),
          h('ul', {}, ...s.notes.map((n) => h('li', {}, n))),
        ),
      buttons(view, cmd),
    ),
  );
  app.querySelectorAll<HTMLElement>('pre.output').forEach((pre) => (pre.scrollTop = pre.scrollHeight));
  // A folded output the user opened stays open across redraws.
  app.querySelectorAll<HTMLDetailsElement>('details.output').forEach((d) =>
    d.addEventListener('toggle', () => {
      const id = d.closest('li.action')?.getAttribute('data-id');
      if (id && d.open !== (d.dataset.defaultOpen === 'true')) openedOutputs.add(id);
      else if (id) openedOutputs.delete(id);
    }),
  );
}

function buttons(view: SavedWebviewState, cmd: Commands): HTMLElement {
  const s = view.state;
  const undecided = s.actions.some((a) => a.drift && !view.decisions[a.drift.path]);
  const row = h('div', { class: 'buttons' });
  if (s.phase === 'planned' && s.actions.length > 0) {
    row.append(button(t('Apply'), cmd.apply, { id: 'apply', disabled: undecided }));
    row.append(button(t('Cancel'), cmd.cancel, { id: 'cancel', appearance: 'secondary' }));
    if (undecided)
      row.append(h('span', { class: 'hint' }, t('Choose Keep or Overwrite for each edited file first.')));
  } else if (s.phase === 'gathering' || s.phase === 'applying') {
    row.append(button(t('Cancel'), cmd.cancel, { id: 'cancel', appearance: 'secondary' }));
  } else {
    row.append(
      button(t('Plan again'), cmd.replan, {
        id: 'replan',
        appearance: s.phase === 'done' ? 'secondary' : 'primary',
      }),
    );
  }
  return row;
}

function actionItem(a: ActionView, view: SavedWebviewState, cmd: Commands): HTMLElement {
  const canRerun =
    (view.state.phase === 'failed' || view.state.phase === 'cancelled') && a.status === 'failed';
  return h(
    'li',
    { class: `action ${a.status}`, 'data-id': a.id, 'data-status': a.status },
    h(
      'div',
      { class: 'head' },
      h('vscode-tag', { class: 'status' }, statusLabel(a.status)),
      h('strong', {}, a.title),
    ),
    h('div', { class: 'reason' }, t('Why: {0}', a.reason)),
    a.drift && drift(a.drift, view, cmd),
    a.skippedReason && h('div', { class: 'reason' }, t('Skipped: {0}', a.skippedReason)),
    a.output.length > 0 && output(a),
    a.error &&
      h(
        'div',
        { class: 'failure' },
        h('p', { class: 'error' }, a.error.message),
        a.error.hint && h('p', {}, t('What to do: {0}', a.error.hint)),
        a.error.restored.length > 0 &&
          h('p', {}, t('Put back as they were: {0}', a.error.restored.join(', '))),
        canRerun && button(t('Rerun from here'), () => cmd.rerun(a.id), { class: 'rerun' }),
      ),
  );
}

/** Steps whose folded output the user opened or closed against the default. */
const openedOutputs = new Set<string>();

/** A step's output, folded unless it is running or failed (or the user turned it over). */
function output(a: ActionView): HTMLElement {
  const defaultOpen = a.status === 'running' || a.status === 'failed';
  const open = openedOutputs.has(a.id) ? !defaultOpen : defaultOpen;
  const lines = a.output.length + a.dropped;
  return h(
    'details',
    { class: 'output', open, 'data-default-open': String(defaultOpen) },
    h('summary', {}, t('Output ({0} line(s))', lines)),
    h(
      'pre',
      { class: 'output' },
      a.dropped ? t('… {0} earlier line(s) not kept', a.dropped) + '\n' : '',
      a.output.join('\n'),
    ),
  );
}

function drift(d: { path: string; diff: string }, view: SavedWebviewState, cmd: Commands): HTMLElement {
  const lines = d.diff.trimEnd().split('\n');
  const diff = h(
    'pre',
    { class: 'diff' },
    ...lines.map((l) =>
      h('span', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '' }, l + '\n'),
    ),
  );
  const chosen = view.decisions[d.path];
  const editable = view.state.phase === 'planned';
  const group = h(
    'vscode-radio-group',
    { class: 'decision', 'data-path': d.path, disabled: !editable },
    h('label', { slot: 'label' }, t('{0} was edited on the server since Mailwright wrote it:', d.path)),
    h('vscode-radio', { value: 'keep', checked: chosen === 'keep' }, t('Keep server version')),
    h('vscode-radio', { value: 'overwrite', checked: chosen === 'overwrite' }, t('Overwrite')),
  );
  group.addEventListener('change', (e) => {
    const value = (e.target as HTMLElement & { value?: string }).value;
    if ((value === 'keep' || value === 'overwrite') && value !== chosen) cmd.decide(d.path, value);
  });
  return h('div', { class: 'drift' }, group, diff);
}

/** A word no cell can hold (a DKIM key): only such a value may be broken anywhere. */
function longWord(value: string): boolean {
  return value.split(/\s+/).some((w) => w.length > 48);
}

function summary(s: SummaryView, cmd: Commands): HTMLElement {
  return h(
    'section',
    { id: 'summary' },
    h('vscode-divider', {}),
    h('h2', {}, t('Summary')),
    h('p', {}, t('{0} step(s) applied.', s.applied)),
    s.changedFiles.length > 0 &&
      h(
        'details',
        { open: true },
        h('summary', {}, t('Changed files ({0})', s.changedFiles.length)),
        h('ul', {}, ...s.changedFiles.map((f) => h('li', {}, h('code', {}, f)))),
      ),
    h(
      'p',
      { id: 'commit' },
      ...(s.commit
        ? fill(t('Committed {0}: {1}'), h('code', {}, s.commit.slice(0, 10)), s.commitNote ?? '')
        : [s.commitNote ?? '']),
    ),
    h('h2', {}, t('Next: DNS records to publish')),
    h(
      'p',
      { class: 'hint' },
      t(
        'Check them against DNS, copy them or publish them through your DNS provider from DNS Records under each domain in the Mail Servers view (Mail: Show DNS Records).',
      ),
    ),
    h(
      'table',
      { class: 'dns' },
      h('tr', {}, h('th', {}, t('Type')), h('th', {}, t('Name')), h('th', {}, t('Value'))),
      ...s.dns.map((r) =>
        h(
          'tr',
          { class: 'record' },
          h('td', {}, r.type),
          h(
            'td',
            { class: 'name' },
            h('code', {}, r.name),
            copyButton(r.name, t('name {0}', r.name), t('Copy the name {0}', r.name), 'copy-name', cmd.copy),
          ),
          h(
            'td',
            { class: 'value' },
            r.value ? h('code', { class: longWord(r.value) ? 'long' : '' }, r.value) : '',
            r.note ? h('span', { class: 'hint' }, r.value ? ' ' + t('({0})', r.note) : r.note) : '',
            r.value &&
              copyButton(
                r.value,
                t('value for {0}', r.name),
                t('Copy the value for {0}', r.name),
                'copy-value',
                cmd.copy,
              ),
          ),
        ),
      ),
    ),
    h('h2', {}, t('Next: reverse DNS to set at your provider')),
    s.reverseDns.length
      ? h(
          'ul',
          {},
          ...s.reverseDns.map((r) => h('li', {}, h('code', {}, r.address), ' → ', h('code', {}, r.name))),
        )
      : h('p', {}, t('The server reported no public address.')),
  );
}
