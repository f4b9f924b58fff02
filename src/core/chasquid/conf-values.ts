// Typed values of chasquid.conf fields: decoding as Go's prototext does, and formatting.
import { CONF_FIELDS, ConfFieldType } from './conf-schema';
import { parseIntLiteral, PtScalar, PtValue } from './prototext';
import { quoteString, utf8OrUndefined } from './prototext-string';

export type ConfValue = string | number | boolean;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Formats a value for the field's type; a mismatch is a programming error, so it throws. */
export function formatConfValue(field: string, value: ConfValue): string {
  if (!FIELD_NAME.test(field))
    throw new TypeError(`invalid chasquid.conf field name ${JSON.stringify(field)}`);
  const type: ConfFieldType =
    CONF_FIELDS[field]?.type ??
    (typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'bool' : 'int');
  if (type === 'string' && typeof value === 'string') return quoteString(value);
  if (type === 'int' && typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (type === 'bool' && typeof value === 'boolean') return String(value);
  throw new TypeError(`chasquid.conf field "${field}" takes ${type === 'int' ? 'an integer' : `a ${type}`}`);
}

/** Decodes a scalar for a field type; `problem` says why it is not one, in chasquid's terms. */
export function decodeConfScalar(
  s: PtScalar,
  type: ConfFieldType | undefined,
): { value?: ConfValue; problem?: string } {
  if (type === undefined) {
    if (s.kind === 'string') return { value: utf8OrUndefined(s.bytes ?? new Uint8Array()) ?? '' };
    if (s.kind === 'ident' && /^(true|false)$/.test(s.text)) return { value: s.text === 'true' };
    return { value: s.kind === 'number' && !Number.isNaN(Number(s.text)) ? Number(s.text) : s.text };
  }
  if (type === 'string') {
    if (s.kind !== 'string') return { problem: `expected a quoted string, found ${s.text}` };
    const v = utf8OrUndefined(s.bytes ?? new Uint8Array());
    return v === undefined ? { problem: 'the string is not valid UTF-8' } : { value: v };
  }
  if (type === 'int') {
    const n = s.kind === 'number' ? parseIntLiteral(s.text) : undefined;
    if (n === undefined) return { problem: `expected an integer, found ${s.text}` };
    if (n > 9223372036854775807n || n < -9223372036854775808n)
      return { problem: `${s.text} does not fit in 64 bits` };
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) {
      return { problem: `${s.text} is too large` };
    }
    return { value: Number(n) };
  }
  if (s.kind === 'ident' && ['true', 'True', 't'].includes(s.text)) return { value: true };
  if (s.kind === 'ident' && ['false', 'False', 'f'].includes(s.text)) return { value: false };
  const n = s.kind === 'number' ? parseIntLiteral(s.text) : undefined;
  if (n === 0n || n === 1n) return { value: n === 1n };
  return { problem: `expected true or false, found ${s.text}` };
}

export function scalarsOf(v: PtValue): PtScalar[] {
  if (v.kind === 'scalar') return [v.scalar];
  if (v.kind === 'list') return v.items.flatMap((i) => (i.kind === 'scalar' ? [i.scalar] : []));
  return [];
}
