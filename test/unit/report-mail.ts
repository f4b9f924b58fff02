// Report mails as receivers send them, for the unit and integration tests of the report store.

/** A report mail as receivers send it: a short text part and the report attached, base64. */
export function reportMail(opts: {
  to: string;
  from?: string;
  attachment: Buffer;
  filename: string;
  contentType: string;
  subject?: string;
}): Buffer {
  const b64 = opts.attachment.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      `From: ${opts.from ?? 'noreply-dmarc-support@receiver.test'}`,
      `To: ${opts.to}`,
      `Subject: ${opts.subject ?? 'Report domain: example.test'}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="=-b1"',
      '',
      'preamble',
      '--=-b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'This is an aggregate report.',
      '--=-b1',
      `Content-Type: ${opts.contentType}; name="${opts.filename}"`,
      `Content-Disposition: attachment; filename="${opts.filename}"`,
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '--=-b1--',
      '',
    ].join('\r\n'),
  );
}
