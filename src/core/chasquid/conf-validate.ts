// Problems chasquid would refuse to start on (errors) or would silently ignore (warnings).
import { decodeConfScalar, scalarsOf } from './conf-values';
import { CONF_FIELDS, fqdnProblem, isGoDuration, LISTEN_ADDRESS_FIELDS } from './conf-schema';
import { closestMatch } from '../config/suggest';
import { ChasquidDiagnostic, LineIndex } from './diagnostic';
import { PtDocument, PtField } from './prototext';
import { ChasquidVersion, formatVersion, isAtLeast, toVersion } from './version';

const DEFAULTS: Record<string, string> = { max_data_size_mb: '50', max_queue_items: '200' };

export function validateConfFields(
  doc: PtDocument,
  lines: LineIndex,
  version?: ChasquidVersion | string,
): ChasquidDiagnostic[] {
  const v = toVersion(version);
  const out: ChasquidDiagnostic[] = doc.errors.map((e) =>
    lines.diagnostic(e.start, e.end, 'error', 'syntax', e.message),
  );
  const err = (start: number, end: number, code: string, message: string): void => {
    out.push(lines.diagnostic(start, end, 'error', code, message));
  };
  const warn = (start: number, end: number, code: string, message: string): void => {
    out.push(lines.diagnostic(start, end, 'warning', code, message));
  };
  const firstSeen = new Map<string, PtField>();

  for (const f of doc.fields) {
    const spec = CONF_FIELDS[f.name];
    if (!spec) {
      const hint = closestMatch(f.name, Object.keys(CONF_FIELDS));
      err(
        f.nameStart,
        f.nameEnd,
        'unknown-field',
        `unknown field "${f.name}"${hint ? ` (did you mean "${hint}"?)` : ''}: chasquid refuses to start with it`,
      );
      continue;
    }
    if (v && !isAtLeast(v, spec.since)) {
      err(
        f.nameStart,
        f.nameEnd,
        'field-too-new',
        `"${f.name}" needs chasquid ${spec.since} or newer; chasquid ${formatVersion(v)} refuses to start with it`,
      );
      continue;
    }
    if (f.value.kind === 'message') {
      err(
        f.value.start,
        f.value.end,
        'wrong-type',
        `"${f.name}" takes a ${spec.type} value, not a { } block`,
      );
      continue;
    }
    if (f.value.kind === 'list' && !spec.repeated) {
      err(f.value.start, f.value.end, 'not-repeated', `"${f.name}" takes a single value, not a list`);
      continue;
    }
    const prev = firstSeen.get(f.name);
    if (prev && !spec.repeated) {
      err(
        f.nameStart,
        f.nameEnd,
        'duplicate-field',
        `"${f.name}" is already set on line ${lines.position(prev.nameStart).line}: chasquid refuses to start`,
      );
    }
    if (!prev) firstSeen.set(f.name, f);
    for (const s of scalarsOf(f.value)) {
      const { value, problem } = decodeConfScalar(s, spec.type);
      if (problem !== undefined) err(s.start, s.end, 'wrong-type', `"${f.name}": ${problem}`);
      else checkValue(f.name, value, s.start, s.end);
    }
  }

  function checkValue(name: string, value: unknown, start: number, end: number): void {
    if (name === 'hostname' && typeof value === 'string') {
      const problem = fqdnProblem(value);
      if (problem)
        err(
          start,
          end,
          'invalid-hostname',
          `hostname is not a valid fully qualified domain name: ${problem}`,
        );
    } else if (LISTEN_ADDRESS_FIELDS.includes(name) || name === 'monitoring_address') {
      checkAddress(name, String(value), start, end);
    } else if (
      (name === 'max_data_size_mb' || name === 'max_queue_items') &&
      typeof value === 'number' &&
      value <= 0
    ) {
      warn(
        start,
        end,
        'ignored-value',
        `"${name}" values <= 0 are ignored: the default (${DEFAULTS[name]}) applies`,
      );
    } else if (name === 'give_up_send_after' && !isGoDuration(String(value))) {
      err(start, end, 'invalid-duration', `"${name}" must be a duration such as "20h" or "1h30m"`);
    } else if (name === 'suffix_separators' && value !== '' && !String(value).includes('+')) {
      warn(
        start,
        end,
        'suffix-without-plus',
        'chasquid assumes "+" is a suffix separator when forwarding: keep it',
      );
    }
  }

  function checkAddress(name: string, value: string, start: number, end: number): void {
    if (value === '') {
      err(
        start,
        end,
        'empty-address',
        `"${name}" is empty: comment the line out instead to not listen at all`,
      );
      return;
    }
    if (value === 'systemd' && name !== 'monitoring_address') return;
    const colon = value.lastIndexOf(':');
    const host = colon < 0 ? '' : value.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = value.slice(colon + 1);
    if (colon < 0 || port === '' || (host.includes(':') && !value.startsWith('['))) {
      err(
        start,
        end,
        'invalid-address',
        `"${name}" must be "host:port", ":port", "[ipv6]:port"` +
          (name === 'monitoring_address' ? '' : ' or "systemd"'),
      );
    } else if (name === 'monitoring_address' && ['', '0.0.0.0', '::'].includes(host)) {
      warn(
        start,
        end,
        'monitoring-exposed',
        'the monitoring server listens on every address: bind it to 127.0.0.1',
      );
    }
  }

  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
