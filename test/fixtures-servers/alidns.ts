// A local stand-in for Alibaba Cloud DNS's RPC API (2015-01-09) used for CONTRACT tests: it
// recomputes the HMAC-SHA1 v1.0 signature independently of the client, keeps records in memory
// and answers with the documented error body { RequestId, Code, Message }. Not the real service.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';

export interface FakeAlidns {
  baseUrl: string;
  records: Array<{
    RecordId: string;
    RR: string;
    Type: string;
    Value: string;
    TTL: number;
    Priority?: number;
  }>;
  throttleNext(count: number): void;
  close(): Promise<void>;
}

// Written apart from the client's on purpose: a shared bug would hide in both.
function encode(value: string): string {
  return encodeURIComponent(value)
    .replace(/\+/g, '%20')
    .replace(/\*/g, '%2A')
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29');
}

export async function startAlidns(accessKeyId: string, secret: string, domain: string): Promise<FakeAlidns> {
  const records: FakeAlidns['records'] = [];
  let throttled = 0;
  const send = (res: ServerResponse, status: number, body: Record<string, unknown>) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ RequestId: randomUUID(), ...body }));
  };
  const fail = (res: ServerResponse, status: number, Code: string, Message: string) =>
    send(res, status, {
      HostId: 'alidns.aliyuncs.com',
      Code,
      Message,
      Recommend: 'https://api.aliyun.com/troubleshoot',
    });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const params = Object.fromEntries(url.searchParams);
    if (throttled > 0) {
      throttled--;
      return fail(res, 400, 'Throttling.User', 'Request was denied due to user flow control.');
    }
    if (params.AccessKeyId !== accessKeyId)
      return fail(res, 404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');
    const { Signature: given, ...rest } = params;
    const canonical = Object.keys(rest)
      .sort()
      .map((k) => `${encode(k)}=${encode(rest[k] ?? '')}`)
      .join('&');
    const expected = createHmac('sha1', `${secret}&`)
      .update(`${req.method}&%2F&${encode(canonical)}`)
      .digest('base64');
    if (given !== expected || rest.SignatureMethod !== 'HMAC-SHA1' || rest.SignatureVersion !== '1.0')
      return fail(
        res,
        400,
        'SignatureDoesNotMatch',
        'Specified signature is not matched with our calculation.',
      );
    if (params.DomainName !== undefined && params.DomainName !== domain)
      return fail(
        res,
        400,
        'InvalidDomainName.NoExist',
        'The specified domain name does not exist. Refresh the page and try again.',
      );
    // As documented: an MX's host goes in Value and its priority (required, 1-50) in Priority.
    if (
      (params.Action === 'AddDomainRecord' || params.Action === 'UpdateDomainRecord') &&
      params.Type === 'MX'
    ) {
      const priority = Number(params.Priority);
      if (!Number.isInteger(priority) || priority < 1 || priority > 50)
        return fail(res, 400, 'InvalidPriority', 'The MX priority must be an integer from 1 to 50.');
      if (!/^[a-z0-9_.-]+$/i.test(params.Value ?? ''))
        return fail(res, 400, 'InvalidValue', 'The MX record value must be a host name.');
    }
    switch (params.Action) {
      case 'DescribeDomainRecords': {
        const found = records.filter(
          (r) =>
            (!params.RRKeyWord || r.RR.includes(params.RRKeyWord)) &&
            (!params.Type || r.Type === params.Type),
        );
        return send(res, 200, {
          TotalCount: found.length,
          PageNumber: 1,
          PageSize: 500,
          DomainRecords: {
            Record: found.map((r) => ({
              ...r,
              DomainName: domain,
              Line: 'default',
              Status: 'ENABLE',
              Locked: false,
            })),
          },
        });
      }
      case 'AddDomainRecord': {
        if (records.some((r) => r.RR === params.RR && r.Type === params.Type && r.Value === params.Value))
          return fail(res, 400, 'DomainRecordDuplicate', 'The DNS record already exists.');
        const record = {
          RecordId: String(Date.now()) + records.length,
          RR: params.RR ?? '',
          Type: params.Type ?? '',
          Value: params.Value ?? '',
          TTL: Number(params.TTL ?? 600),
          ...(params.Type === 'MX' && { Priority: Number(params.Priority) }),
        };
        records.push(record);
        return send(res, 200, { RecordId: record.RecordId });
      }
      case 'UpdateDomainRecord':
      case 'DeleteDomainRecord': {
        const index = records.findIndex((r) => r.RecordId === params.RecordId);
        if (index < 0)
          return fail(res, 400, 'DomainRecordNotBelongToUser', 'The DNS record does not belong to you.');
        if (params.Action === 'DeleteDomainRecord') records.splice(index, 1);
        else
          Object.assign(records[index]!, {
            RR: params.RR,
            Type: params.Type,
            Value: params.Value,
            TTL: Number(params.TTL ?? 600),
            Priority: params.Type === 'MX' ? Number(params.Priority) : undefined,
          });
        return send(res, 200, { RecordId: params.RecordId });
      }
      default:
        return fail(res, 400, 'InvalidParameter', `Unknown action ${params.Action}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    records,
    throttleNext: (count) => void (throttled = count),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
