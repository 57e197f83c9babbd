// ajv
exports.meta = { quick: true };
exports.run = async () => {
  const Ajv = require('ajv');
  const ajv = new Ajv({ allErrors: true });
  const v = ajv.compile({
    type: 'object',
    properties: { a: { type: 'integer' } },
    required: ['a'],
    additionalProperties: false,
  });
  return [v({ a: 1 }), v({ b: 'x' }), v.errors.map((e) => e.keyword)];
};
