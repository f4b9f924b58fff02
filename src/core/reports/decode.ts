// The bytes of a report as receivers send them: DMARC aggregate reports arrive as XML, gzip'd
// XML or a zip holding one XML file; TLS-RPT reports as JSON or gzip'd JSON. Anything sent to a
// published address can be hostile, so every step is bounded: the bytes read, the bytes
// inflated (a 10 kB archive can inflate to gigabytes), the number of files in a zip.
import { gunzipSync } from 'node:zlib';
import { Unzip, UnzipInflate } from 'fflate';
import { ReportError } from './errors';

/** The largest report accepted as received (compressed or not). */
export const MAX_REPORT_BYTES = 10 * 1024 * 1024;
/** The largest report accepted once inflated: the biggest receivers' daily reports are far below. */
export const MAX_INFLATED_BYTES = 20 * 1024 * 1024;
/** A report zip holds one file; a few more (a folder entry, a signature) are tolerated. */
const MAX_ZIP_ENTRIES = 4;

export type ReportEncoding = 'plain' | 'gzip' | 'zip';

export function encodingOf(bytes: Uint8Array): ReportEncoding {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)
    return 'zip';
  return 'plain';
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

function tooLarge(what: string, limit: number): ReportError {
  return new ReportError(
    'too-large',
    `${what} is larger than ${mb(limit)}; it was not read. Reports from real receivers are far smaller: this one is either broken or hostile.`,
  );
}

function gunzip(bytes: Uint8Array, limit: number): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: limit });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge('The report once inflated', limit);
    throw new ReportError('unreadable', `The gzip data of the report is damaged: ${(e as Error).message}.`);
  }
}

function unzip(bytes: Uint8Array, limit: number): Buffer {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let entries = 0;
  let picked: string | undefined;
  let failure: Error | undefined;
  const reader = new Unzip((file) => {
    entries += 1;
    if (entries > MAX_ZIP_ENTRIES) {
      failure ??= new ReportError(
        'unreadable',
        `The zip holds more than ${MAX_ZIP_ENTRIES} files; a report holds one.`,
      );
      return;
    }
    // The first file that is not a folder is the report; the others are not read at all.
    if (picked !== undefined || file.name.endsWith('/')) return;
    picked = file.name;
    file.ondata = (err, data, final) => {
      if (failure) return;
      if (err) {
        failure = new ReportError('unreadable', `The zip data of the report is damaged: ${err.message}.`);
        return;
      }
      total += data.length;
      if (total > limit) {
        failure = tooLarge('The report once inflated', limit);
        file.terminate();
        return;
      }
      chunks.push(data);
      void final;
    };
    file.start();
  });
  reader.register(UnzipInflate);
  try {
    reader.push(bytes, true);
  } catch (e) {
    failure ??= new ReportError(
      'unreadable',
      `The zip data of the report is damaged: ${(e as Error).message}.`,
    );
  }
  if (failure) throw failure;
  if (picked === undefined) throw new ReportError('unreadable', 'The zip holds no file.');
  return Buffer.concat(chunks);
}

/** The report's text, whatever the wrapping; throws ReportError when it is too large or damaged. */
export function decodeReport(
  bytes: Uint8Array,
  limits: { maxBytes?: number; maxInflatedBytes?: number } = {},
): string {
  const maxBytes = limits.maxBytes ?? MAX_REPORT_BYTES;
  const maxInflated = limits.maxInflatedBytes ?? MAX_INFLATED_BYTES;
  if (bytes.length > maxBytes) throw tooLarge('The report', maxBytes);
  const encoding = encodingOf(bytes);
  const raw =
    encoding === 'gzip'
      ? gunzip(bytes, maxInflated)
      : encoding === 'zip'
        ? unzip(bytes, maxInflated)
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (raw.length > maxInflated) throw tooLarge('The report', maxInflated);
  // Strict UTF-8: a report is text, and a decoder that guesses hides a damaged one.
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw new ReportError('unreadable', 'The report is not UTF-8 text.');
  }
}
