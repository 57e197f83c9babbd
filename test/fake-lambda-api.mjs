// A Lambda control-plane API on loopback, for the commands that call AWS (no AWS is reachable
// here): the REST paths, bodies and answers of the Lambda API reference for PublishLayerVersion,
// AddLayerVersionPermission, GetFunctionConfiguration, UpdateFunctionConfiguration and
// ListFunctions (paged), with its error shape. Every request is recorded, with its SigV4
// Authorization header, for the test to check.
import { createServer } from 'node:http';

export async function fakeLambdaApi({ functions = {}, pageSize = 2, conflict = new Set() } = {}) {
  const requests = [];
  const layers = new Map();
  const state = structuredClone(functions);
  const json = (res, status, body, errorType) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': `req-${requests.length}`,
      ...(errorType
        ? { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.awslambda/` }
        : {}),
    });
    res.end(JSON.stringify(body));
  };
  const notFound = (res, what) =>
    json(res, 404, { Type: 'User', message: `Function not found: ${what}` }, 'ResourceNotFoundException');
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://x');
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({
        method: req.method,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      const route = (method, re) => (req.method === method || method === '*' ? re.exec(url.pathname) : null);
      let m = route('POST', /^\/2018-10-31\/layers\/([^/]+)\/versions$/);
      if (m) {
        const name = decodeURIComponent(m[1]);
        const version = (layers.get(name) ?? 0) + 1;
        layers.set(name, version);
        const arn = `arn:aws:lambda:us-east-1:123456789012:layer:${name}`;
        return json(res, 201, {
          Content: {
            CodeSha256: 'c2hh',
            CodeSize: Buffer.from(body.Content.ZipFile, 'base64').length,
            Location: 'https://x',
          },
          LayerArn: arn,
          LayerVersionArn: `${arn}:${version}`,
          Description: body.Description,
          CreatedDate: '2026-12-03T00:00:00.000+0000',
          Version: version,
          CompatibleRuntimes: body.CompatibleRuntimes,
          CompatibleArchitectures: body.CompatibleArchitectures,
          LicenseInfo: body.LicenseInfo,
        });
      }
      if (route('POST', /^\/2018-10-31\/layers\/([^/]+)\/versions\/(\d+)\/policy$/))
        return json(res, 201, { Statement: JSON.stringify({ Sid: body.StatementId }), RevisionId: 'r1' });
      m = route('*', /^\/2015-03-31\/functions\/([^/]+)\/configuration$/);
      if (m) {
        const name = decodeURIComponent(m[1]);
        const fn = state[name];
        if (!fn) return notFound(res, name);
        if (req.method === 'GET') return json(res, 200, fn);
        if (req.method === 'PUT') {
          if (conflict.has(name))
            return json(
              res,
              409,
              {
                Type: 'User',
                message: `The operation cannot be performed at this time. An update is in progress for resource: ${name}`,
              },
              'ResourceConflictException',
            );
          if (body.RevisionId && body.RevisionId !== fn.RevisionId)
            return json(
              res,
              412,
              { Type: 'User', message: 'The Revision Id provided does not match' },
              'PreconditionFailedException',
            );
          fn.Layers = body.Layers.map((Arn) => ({ Arn, CodeSize: 1 }));
          fn.Environment = body.Environment;
          fn.RevisionId = `${fn.RevisionId}+`;
          fn.LastUpdateStatus = 'InProgress';
          return json(res, 200, fn);
        }
      }
      if (req.method === 'GET' && /^\/2015-03-31\/functions\/?$/.test(url.pathname)) {
        const all = Object.values(state);
        const start = Number(url.searchParams.get('Marker') ?? 0);
        const page = all.slice(start, start + pageSize);
        return json(res, 200, {
          Functions: page,
          ...(start + pageSize < all.length ? { NextMarker: String(start + pageSize) } : {}),
        });
      }
      json(
        res,
        400,
        { message: `unexpected ${req.method} ${url.pathname}` },
        'InvalidRequestContentException',
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    functions: state,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A function's configuration as GetFunctionConfiguration returns it. */
export function functionConfig(name, { runtime = 'nodejs22.x', layers = [], env, packageType = 'Zip' } = {}) {
  return {
    FunctionName: name,
    FunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    Runtime: runtime,
    Handler: 'index.handler',
    PackageType: packageType,
    Architectures: ['arm64'],
    Layers: layers.map((Arn) => ({ Arn, CodeSize: 1 })),
    ...(env ? { Environment: { Variables: env } } : {}),
    RevisionId: `rev-${name}`,
    LastUpdateStatus: 'Successful',
  };
}
