// joi
exports.meta = {};
exports.run = async () => {
  const Joi = require('joi');
  const s = Joi.object({ email: Joi.string().email().required(), age: Joi.number().min(18) });
  return [
    s.validate({ email: 'a@b.co', age: 20 }).error === undefined,
    s.validate({ age: 3 }).error.details.map((d) => d.type),
  ];
};
