// aws-sdk-v3-dynamodb
const { serve } = require('../lib/loopback.cjs');
exports.meta = { quick: true, sandbox: true };
exports.run = async () => {
  const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient, GetCommand } = require('@aws-sdk/lib-dynamodb');
  const srv = await serve({
    'POST /': (r) =>
      r.headers['x-amz-target'].endsWith('ListTables')
        ? { TableNames: ['orders'] }
        : { Item: { id: { S: '1' }, n: { N: '5' } } },
  });
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: srv.url, maxAttempts: 1 });
  const a = await client.send(new ListTablesCommand({}));
  const doc = DynamoDBDocumentClient.from(client);
  const b = await doc.send(new GetCommand({ TableName: 'orders', Key: { id: '1' } }));
  client.destroy();
  await srv.close();
  return { tables: a.TableNames, item: b.Item };
};
