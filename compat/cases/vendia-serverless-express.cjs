// vendia-serverless-express
exports.meta = {};
exports.run = async () => {
  const express = require('express');
  const serverlessExpress = require('@vendia/serverless-express');
  const app = express();
  app.get('/ping', (_req, res) => res.json({ pong: true }));
  const handler = serverlessExpress({ app });
  const ev = {
    version: '2.0',
    routeKey: 'GET /ping',
    rawPath: '/ping',
    rawQueryString: '',
    headers: { host: 'x' },
    requestContext: { http: { method: 'GET', path: '/ping', sourceIp: '127.0.0.1' }, stage: '$default' },
    isBase64Encoded: false,
  };
  const r = await handler(ev, { callbackWaitsForEmptyEventLoop: true }, () => {});
  return [r.statusCode, JSON.parse(r.body)];
};
