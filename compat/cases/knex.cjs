// knex
exports.meta = {};
exports.run = async () => {
  const knex = require('knex')({ client: 'pg' });
  return knex('orders').where({ id: 1 }).select('total').toString();
};
