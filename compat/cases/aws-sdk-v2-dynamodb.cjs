// aws-sdk-v2-dynamodb
const { serve } = require('../lib/loopback.cjs');
exports.meta = { quick: true };
exports.run = async () => {
  const AWS = require('aws-sdk');
  const srv = await serve({ 'POST /': () => ({ TableNames: ['legacy'] }) });
  // The service's own host name, as in Lambda, answered on loopback (an agent whose lookup says
  // 127.0.0.1: no DNS query leaves the machine). v2 reads the credentials and connects from one
  // package: only the AWS endpoint makes that the SDK's ordinary work.
  const http = require('node:http');
  const lookup = (_host, o, cb) =>
    o?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  const ddb = new AWS.DynamoDB({
    region: 'us-east-1',
    endpoint: `http://dynamodb.us-east-1.amazonaws.com:${srv.port}`,
    maxRetries: 0,
    httpOptions: { agent: new http.Agent({ lookup }) },
  });
  const r = await ddb.listTables({}).promise();
  await srv.close();
  return r;
};
