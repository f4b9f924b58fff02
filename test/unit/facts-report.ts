// Reports as the facts script frames them, for tests: written with plain "@@mw:NAME" headers
// (readable fixtures) and given a run key here, the way the script prints them.
import { reportHeader } from '../../src/core/facts/script';

export const TEST_KEY = '0123456789abcdef0123456789abcdef';

/** The text with every "@@mw:NAME" header line framed with TEST_KEY. */
export function keyed(text: string): string {
  return text.replace(/^@@mw:(.*)$/gm, (_, name: string) => reportHeader(TEST_KEY, name));
}
