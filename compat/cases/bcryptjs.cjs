// bcryptjs
exports.meta = {};
exports.run = async () => {
  const bcrypt = require('bcryptjs');
  const h = bcrypt.hashSync('pw', '$2a$04$abcdefghijklmnopqrstuu');
  return { h, ok: bcrypt.compareSync('pw', h) };
};
