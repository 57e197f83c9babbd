// fastify-inject
exports.meta = { quick: true };
exports.run = async () => {
  const fastify = require('fastify')();
  fastify.get('/n/:n', async (req) => ({ twice: Number(req.params.n) * 2 }));
  fastify.post(
    '/v',
    { schema: { body: { type: 'object', required: ['a'], properties: { a: { type: 'number' } } } } },
    async (req) => ({ ok: req.body.a }),
  );
  const a = await fastify.inject({ method: 'GET', url: '/n/21' });
  const b = await fastify.inject({ method: 'POST', url: '/v', payload: { b: 1 } });
  await fastify.close();
  return [a.json(), b.statusCode];
};
