// HTTP-01 without DNS credentials: the server itself answers on port 80 for the length of
// the challenge. The responder is a one-file Perl program: perl-base (with IO::Socket::IP)
// is an Essential package on Debian and Ubuntu, so it is always there, unlike python3's
// http.server, busybox or socat. It runs as a transient systemd unit with a hard time limit,
// so even a lost SSH connection cannot leave it running; cleanup() stops it and removes its folder.
import { shellScript, type RemoteConnection } from '../remote';
import { AcmeError } from './errors';
import type { ChallengeResponder } from './responders';

const UNIT = 'mailwright-acme-http01';
const DIR = '/run/mailwright-acme-http01';
/** The responder never outlives this, whatever happens to the client. */
const MAX_SECONDS = 600;

// Serves DIR/<token> at /.well-known/acme-challenge/<token>, 404 for anything else. Dual-stack.
const RESPONDER = String.raw`use strict; use IO::Socket::IP;
my $dir = shift;
my %o = (LocalPort => 80, Listen => 16, ReuseAddr => 1);
my $s = IO::Socket::IP->new(%o, LocalHost => '::', V6Only => 0)
  || IO::Socket::IP->new(%o, LocalHost => '0.0.0.0') or die "cannot listen on port 80: $!\n";
$SIG{PIPE} = 'IGNORE';
while (my $c = $s->accept) {
  eval {
    local $SIG{ALRM} = sub { die "timeout\n" }; alarm 5;
    my $line = <$c> // '';
    while (my $h = <$c>) { last if $h =~ /^\r?\n$/ }
    my ($t) = $line =~ m{^GET /\.well-known/acme-challenge/([A-Za-z0-9_-]+) HTTP/};
    my $body;
    if (defined $t && open(my $f, '<', "$dir/$t")) { local $/; $body = <$f>; close $f }
    if (defined $body) { print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body" }
    else { print $c "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" }
    alarm 0;
  };
  close $c;
}
`;

// $1 folder, $2 unit, $3 seconds. Refuses when something else holds port 80.
const START = `set -eu
dir=$1 unit=$2 max=$3
systemctl stop "$unit" 2>/dev/null || true
systemctl reset-failed "$unit" 2>/dev/null || true
if [ -n "$(ss -Htln 'sport = :80')" ]; then
  echo "port 80 is in use on this server:" >&2; ss -Htlnp 'sport = :80' >&2; exit 3
fi
mkdir -p -m 0755 "$dir"
cat > "$dir/responder.pl"
mkdir -p -m 0755 "$dir/tokens"
systemd-run --quiet --unit="$unit" --collect -p RuntimeMaxSec="$max" -p DynamicUser=no \\
  perl "$dir/responder.pl" "$dir/tokens"
for i in $(seq 1 50); do
  [ -n "$(ss -Htln 'sport = :80')" ] && exit 0
  systemctl is-active --quiet "$unit" || break
  sleep 0.1
done
echo "the HTTP-01 responder did not start:" >&2
journalctl -u "$unit" -n 5 --no-pager >&2 || true
exit 1
`;

const STOP = `dir=$1 unit=$2
systemctl stop "$unit" 2>/dev/null || true
systemctl reset-failed "$unit" 2>/dev/null || true
rm -rf -- "$dir"
`;

export function http01Responder(opts: {
  conn: RemoteConnection;
  /** Ports listening on the server (facts.listening); port 80 must be free. */
  listeningPorts?: number[];
  log?: (line: string) => void;
}): ChallengeResponder {
  let started = false;
  return {
    type: 'http-01',
    async present(identifier, token, keyAuthorization, signal) {
      if (!/^[A-Za-z0-9_-]+$/.test(token))
        throw new AcmeError('http-01', `The CA sent a malformed token for ${identifier}.`);
      if (!started) {
        if (opts.listeningPorts?.includes(80)) {
          throw new AcmeError(
            'http-01',
            'Port 80 is in use on the server, so HTTP-01 cannot answer there.',
            'Stop what listens on port 80, or use the dns-01 challenge.',
          );
        }
        started = true; // before the start: cleanup() must stop even a half-started responder
        const r = await opts.conn.exec(shellScript(START, [DIR, UNIT, String(MAX_SECONDS)]), {
          sudo: true,
          stdin: RESPONDER,
          check: false,
          signal,
          timeoutMs: 30_000,
        });
        if (r.exitCode !== 0) {
          throw new AcmeError(
            'http-01',
            `Could not serve HTTP-01 on port 80 of the server: ${(r.stderr || r.stdout).trim()}`,
            r.exitCode === 3 ? 'Stop what listens on port 80, or use the dns-01 challenge.' : undefined,
          );
        }
        opts.log?.('HTTP-01 responder listening on port 80 of the server');
      }
      // The key authorization is public by design (the CA fetches it over plain HTTP).
      await opts.conn.exec(shellScript('cat > "$1/tokens/$2"', [DIR, token]), {
        sudo: true,
        stdin: keyAuthorization,
        signal,
      });
    },
    async ready() {
      // The file is there once present() returns; reachability is the CA's to judge.
    },
    async cleanup() {
      if (!started) return;
      started = false;
      await opts.conn.exec(shellScript(STOP, [DIR, UNIT]), { sudo: true, check: false, timeoutMs: 30_000 });
      opts.log?.('HTTP-01 responder stopped');
    },
  };
}

export const http01UnitName = UNIT;
