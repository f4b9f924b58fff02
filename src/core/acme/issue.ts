// One ACME order from account to certificate. The account key lives in the SecretStore
// (made once per CA, reused); the certificate key is the current one when given (a renewal keeps
// it), else made here; it is returned in memory and goes to the server only over SFTP.
// Challenges are always cleaned up, even on failure.
import * as acme from 'acme-client';
import { secretKeys, type SecretStore } from '../remote';
import { makeAcmeClient, preflight } from './client';
import { AcmeError, explainAcmeError } from './errors';
import { newCertificateKeyPem } from './renewal';
import type { ChallengeResponder } from './responders';

export interface IssueOptions {
  directoryUrl: string;
  caCertificatePem?: string;
  secrets: SecretStore;
  email?: string;
  /** First name is the certificate's subject; wildcards allowed with dns-01. */
  names: string[];
  responder: ChallengeResponder;
  /** The certificate's key to keep (PEM); absent: a new ECDSA P-256 key. */
  privateKeyPem?: string | Buffer;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
}

export interface IssuedCertificate {
  /** Leaf first, then the chain (what chasquid wants in fullchain.pem). */
  fullchainPem: string;
  /** Keep in memory only; upload over SFTP. */
  privateKeyPem: Buffer;
  serial: string;
  notAfter: Date;
  names: string[];
}

async function accountKey(
  secrets: SecretStore,
  directoryUrl: string,
  log: (l: string) => void,
): Promise<string> {
  const key = secretKeys.acmeAccountKey(directoryUrl);
  const existing = await secrets.get(key);
  if (existing) return existing;
  log('Creating an ACME account key (kept in secret storage)');
  const pem = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  await secrets.set(key, pem);
  return pem;
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new AcmeError('other', 'Cancelled.');
}

export async function issueCertificate(opts: IssueOptions): Promise<IssuedCertificate> {
  const log = opts.onProgress ?? (() => undefined);
  const signal = opts.signal ?? new AbortController().signal;
  if (opts.names.length === 0) throw new RangeError('issueCertificate needs at least one name');
  if (opts.responder.type === 'http-01' && opts.names.some((n) => n.startsWith('*.'))) {
    throw new AcmeError(
      'challenge',
      'A wildcard name needs the dns-01 challenge.',
      'Set acme.challenge: dns-01 and a DNS provider.',
    );
  }
  const client = makeAcmeClient({
    directoryUrl: opts.directoryUrl,
    caCertificatePem: opts.caCertificatePem,
    accountKeyPem: await accountKey(opts.secrets, opts.directoryUrl, log),
  });
  const responder = opts.responder;
  try {
    log(`Registering with ${opts.directoryUrl}`);
    await preflight(opts.directoryUrl, opts.caCertificatePem);
    await client
      .createAccount({
        termsOfServiceAgreed: true,
        ...(opts.email ? { contact: [`mailto:${opts.email}`] } : {}),
      })
      .catch((e: Error) => {
        // A reused key without contact: acme-client then sends an empty update that CAs refuse.
        if (!/POST-as-GET/.test(e.message)) throw e;
      });
    throwIfAborted(signal);
    const order = await client.createOrder({
      identifiers: opts.names.map((value) => ({ type: 'dns', value })),
    });
    const authorizations = await client.getAuthorizations(order);
    const pending: { name: string; challenge: acme.Authorization['challenges'][number] }[] = [];
    for (const authz of authorizations) {
      const name = (authz.wildcard ? '*.' : '') + authz.identifier.value;
      if (authz.status === 'valid') {
        // CAs keep a proven name valid for a while per account: nothing to publish this time.
        log(`${name}: the CA still holds a valid authorization, no ${responder.type} challenge needed`);
        continue;
      }
      const challenge = authz.challenges.find((c) => c.type === responder.type);
      if (!challenge)
        throw new AcmeError('challenge', `The CA offers no ${responder.type} challenge for ${name}.`);
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      await responder.present(name, challenge.token, keyAuthorization, signal);
      pending.push({ name, challenge });
    }
    log(`Waiting until the ${responder.type} answers are visible`);
    await responder.ready(signal);
    throwIfAborted(signal);
    for (const { name, challenge } of pending) {
      await client.completeChallenge(challenge);
      try {
        await client.waitForValidStatus(challenge);
      } catch (e) {
        throw new AcmeError(
          'challenge',
          `The CA rejected the ${responder.type} challenge for ${name}: ${(e as Error).message}`,
        );
      }
      log(`${name}: ${responder.type} challenge valid`);
    }
    const [privateKeyPem, csr] = await acme.crypto.createCsr(
      { commonName: opts.names[0], altNames: opts.names },
      opts.privateKeyPem ?? newCertificateKeyPem(),
    );
    const finalized = await client.finalizeOrder(order, csr);
    await client.waitForValidStatus(finalized);
    const fullchainPem = await client.getCertificate(finalized);
    const info = acme.crypto.readCertificateInfo(fullchainPem);
    const { X509Certificate } = await import('node:crypto');
    const leaf = new X509Certificate(fullchainPem);
    log(`Certificate issued, serial ${leaf.serialNumber}, valid until ${info.notAfter.toISOString()}`);
    return {
      fullchainPem,
      privateKeyPem,
      serial: leaf.serialNumber,
      notAfter: info.notAfter,
      names: opts.names,
    };
  } catch (e) {
    throw explainAcmeError(e, opts.directoryUrl);
  } finally {
    await responder.cleanup();
  }
}
