// Bundle "acme": whether and how a certificate is renewed (acme-client, DNS providers).
export { planRenewal } from '../../core/plan/actions/acme-certificate';
