// chasquid exits without a certificate, so a fresh server gets a self-signed one for the mail
// host until ACME replaces it. The key is made on the server and never leaves it.
import { CHASQUID_DIR, certDir } from '../../chasquid/paths';
import { EXIT_ON_SIGNALS, shellScript } from '../../remote';
import type { ActionPlanner, ApplyContext } from '../types';
import { reloadDovecotForCertificate } from './mailboxes';

export { certDir } from '../../chasquid/paths';

// $1 mail host, $2 certificate folder. Made next to it (same file system) and moved in, as real
// files in a real folder: chasquid 1.11 skips symlinked certificate folders.
const BOOTSTRAP_SCRIPT = `set -eu
host=$1 dir=$2
umask 077
tmp=$(mktemp -d "${CHASQUID_DIR}/.mailwright-cert.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
${EXIT_ON_SIGNALS}
# genpkey -quiet: no key-generation progress dots in the step's live output.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -quiet -out "$tmp/privkey.pem" 2>&1
openssl req -x509 -new -key "$tmp/privkey.pem" -days 90 -subj "/CN=$host" \\
  -addext "subjectAltName=DNS:$host" -out "$tmp/fullchain.pem" 2>&1
chown root:chasquid "$tmp/privkey.pem"
chmod 0640 "$tmp/privkey.pem"
chmod 0644 "$tmp/fullchain.pem"
if [ -L "$dir" ]; then rm -f -- "$dir"; fi
mkdir -p -m 0755 -- "$dir"
mv -f -- "$tmp/privkey.pem" "$dir/privkey.pem"
mv -f -- "$tmp/fullchain.pem" "$dir/fullchain.pem"
`;

// $1 folder, $2 mail host: the pair matches, names the host, and only chasquid can read the key.
const CHECK_SCRIPT = `set -eu
dir=$1 host=$2
[ ! -L "$dir" ] || { echo "$dir is a symlink" >&2; exit 1; }
owner=$(stat -c '%U:%G %a' -- "$dir/privkey.pem")
[ "$owner" = "root:chasquid 640" ] || { echo "privkey.pem is $owner, must be root:chasquid 640" >&2; exit 1; }
openssl x509 -noout -checkhost "$host" -in "$dir/fullchain.pem" | grep -q 'does match' || {
  echo "fullchain.pem does not name $host" >&2; exit 1; }
a=$(openssl x509 -noout -pubkey -in "$dir/fullchain.pem")
b=$(openssl pkey -pubout -in "$dir/privkey.pem")
[ "$a" = "$b" ] || { echo "privkey.pem does not belong to fullchain.pem" >&2; exit 1; }
`;

export async function verifyCertificate(ctx: ApplyContext, name: string): Promise<void> {
  await ctx.run(shellScript(CHECK_SCRIPT, [certDir(name), name]));
}

export const planCertificate: ActionPlanner = (ctx) => {
  const host = ctx.host.mailHost;
  const dir = certDir(host);
  const files = ctx.facts.confFiles ?? {};
  const missing = ['fullchain.pem', 'privkey.pem'].filter((f) => !(`${dir}/${f}` in files));
  if (missing.length === 0) return [];
  return [
    {
      id: `certificate:${host}`,
      kind: 'certificate',
      title: `Create a certificate for ${host} (self-signed until ACME is set up)`,
      reason: `${dir}/ has no ${missing.join(' or ')}; chasquid does not start without a certificate`,
      async apply(actx) {
        await actx.run(shellScript(BOOTSTRAP_SCRIPT, [host, dir]), { timeoutMs: 120_000 });
        actx.requestRestart(`new certificate for ${host}`);
        await reloadDovecotForCertificate(actx);
      },
      verify: (actx) => verifyCertificate(actx, host),
    },
  ];
};
