// An orders API on DynamoDB (the AWS SDK v3 client; DYNAMODB_ENDPOINT points it at a local
// endpoint in tests). Two bugs: the `session` cookie is deserialized with node-serialize 0.0.4
// (an `_$$ND_FUNC$$_` value is code, CVE-2017-5941), and `notify` is a URL the order is posted
// to, unchecked (SSRF).
const { DynamoDBClient, GetItemCommand, PutItemCommand } = require('@aws-sdk/client-dynamodb');
const serialize = require('node-serialize');

const client = new DynamoDBClient({
  region: process.env.AWS_REGION || 'us-east-1',
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
const TABLE = process.env.ORDERS_TABLE || 'orders';

function session(headers) {
  const cookie = (headers?.cookie || '').split(';').find((c) => c.trim().startsWith('session='));
  if (!cookie) return {};
  return serialize.unserialize(Buffer.from(cookie.trim().slice(8), 'base64').toString('utf8'));
}

exports.handler = async (event) => {
  const user = session(event.headers);
  if (event.httpMethod === 'GET') {
    const id = event.pathParameters?.id;
    const out = await client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: id } } }));
    return { statusCode: out.Item ? 200 : 404, body: JSON.stringify(out.Item || { error: 'not found' }) };
  }
  const order = JSON.parse(event.body || '{}');
  await client.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        id: { S: String(order.id) },
        customer: { S: String(user.name || 'anonymous') },
        total: { N: String(order.total || 0) },
      },
    }),
  );
  if (order.notify) await fetch(order.notify, { method: 'POST', body: JSON.stringify(order) });
  return { statusCode: 201, body: JSON.stringify({ id: order.id }) };
};
