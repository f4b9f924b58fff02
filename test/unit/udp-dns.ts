// A DNS server on loopback (UDP) serving fixed TXT records, for tests of code that asks DNS
// servers by address (the CLI's --dns, the mailwright.dns.resolvers setting). Any other
// question is answered NXDOMAIN at once.
import { createSocket, type Socket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

export interface TxtServer {
  /** "127.0.0.1:port", as --dns and the resolvers setting take it. */
  address: string;
  close(): void;
}

/** records: name → the TXT record's character-strings (each at most 255 bytes). */
export async function startTxtServer(records: Record<string, string[]>): Promise<TxtServer> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    const strings = records[question.name.toLowerCase().replace(/\.$/, '')];
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (strings ? 0 : 3), // rcode 3: NXDOMAIN
      questions: [question],
      answers:
        strings && question.type === 'TXT'
          ? [{ type: 'TXT', name: question.name, ttl: 5, data: strings }]
          : [],
    });
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${socket.address().port}`, close: () => socket.close() };
}
