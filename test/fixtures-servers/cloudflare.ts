// A local stand-in for Cloudflare API v4 (zones, dns_records) used for CONTRACT tests: it checks
// the Bearer token, keeps records in memory and answers with the documented envelope
// { success, errors: [{ code, message }], messages, result }. It is not the real service.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface FakeCloudflare {
  baseUrl: string;
  records: CfStored[];
  /** Answer the next N requests with 429. */
  throttleNext(count: number): void;
  close(): Promise<void>;
}

export interface CfStored {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  priority?: number;
  data?: { flags: number; tag: string; value: string };
}

/**
 * The record a create or update body describes, or why the API refuses it. As documented: an MX
 * takes the host in `content` and its `priority` apart; a CAA takes `data` { flags, tag, value }
 * and Cloudflare derives `content` (written here without quotes, so a client that reads CAA
 * values from `content` instead of `data` gets them wrong, as it would from the real API).
 */
function recordFrom(body: Record<string, unknown>): Omit<CfStored, 'id'> | string {
  const type = String(body.type);
  const base = { name: String(body.name), type, ttl: Number(body.ttl ?? 1) };
  if (type === 'MX') {
    const priority = body.priority;
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 65535)
      return 'priority is required for MX records (0-65535)';
    const content = String(body.content ?? '');
    if (!/^[a-z0-9_.-]+$/i.test(content)) return `content for MX must be a host name, not "${content}"`;
    return { ...base, content, priority };
  }
  if (type === 'CAA') {
    const data = body.data as { flags?: unknown; tag?: unknown; value?: unknown } | undefined;
    if (typeof data?.flags !== 'number' || typeof data.tag !== 'string' || typeof data.value !== 'string')
      return 'data { flags, tag, value } is required for CAA records';
    const parts = { flags: data.flags, tag: data.tag, value: data.value };
    return { ...base, content: `${parts.flags} ${parts.tag} ${parts.value}`, data: parts };
  }
  return { ...base, content: String(body.content) };
}

export async function startCloudflare(token: string, zone: string): Promise<FakeCloudflare> {
  const zoneId = randomUUID().replace(/-/g, '');
  const records: FakeCloudflare['records'] = [];
  let throttled = 0;
  const send = (
    res: ServerResponse,
    status: number,
    result: unknown,
    errors: Array<[number, string]> = [],
  ) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        success: errors.length === 0,
        errors: errors.map(([code, message]) => ({ code, message })),
        messages: [],
        result,
      }),
    );
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (throttled > 0) {
      throttled--;
      return send(res, 429, null, [[971, 'Please wait and consider throttling your request speed']]);
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) return send(res, 400, null, [[6003, 'Invalid request headers']]);
    if (auth !== `Bearer ${token}`) return send(res, 403, null, [[9109, 'Invalid access token']]);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean); // client v4 zones ...
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>)
      : {};
    if (parts.join('/') === 'client/v4/zones' && req.method === 'GET') {
      const name = url.searchParams.get('name');
      return send(res, 200, name === zone ? [{ id: zoneId, name: zone, status: 'active' }] : []);
    }
    if (parts[2] !== 'zones' || parts[4] !== 'dns_records')
      return send(res, 404, null, [[7000, 'No route for that URI']]);
    if (parts[3] !== zoneId)
      return send(res, 404, null, [
        [7003, 'Could not route to /zones/..., perhaps your object identifier is invalid?'],
      ]);
    const id = parts[5];
    if (req.method === 'GET' && !id) {
      const name = url.searchParams.get('name');
      const type = url.searchParams.get('type');
      return send(
        res,
        200,
        records.filter((r) => (!name || r.name === name) && (!type || r.type === type)),
      );
    }
    if (req.method === 'POST' && !id) {
      const described = recordFrom(body);
      if (typeof described === 'string') return send(res, 400, null, [[9005, described]]);
      const record = { id: randomUUID().replace(/-/g, ''), ...described };
      if (
        records.some((r) => r.name === record.name && r.type === record.type && r.content === record.content)
      )
        return send(res, 400, null, [[81058, 'An identical record already exists.']]);
      records.push(record);
      return send(res, 200, record);
    }
    const index = records.findIndex((r) => r.id === id);
    if (index < 0) return send(res, 404, null, [[81044, 'Record does not exist.']]);
    if (req.method === 'PATCH' || req.method === 'PUT') {
      const record = records[index]!;
      const described = recordFrom({ ...record, ...body });
      if (typeof described === 'string') return send(res, 400, null, [[9005, described]]);
      records[index] = { id: record.id, ...described };
      return send(res, 200, records[index]);
    }
    if (req.method === 'DELETE') {
      records.splice(index, 1);
      return send(res, 200, { id });
    }
    return send(res, 405, null, [[10000, 'Method not allowed']]);
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    records,
    throttleNext: (count) => void (throttled = count),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
