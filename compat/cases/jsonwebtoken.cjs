// jsonwebtoken
exports.meta = { quick: true };
exports.run = async () => {
  const jwt = require('jsonwebtoken');
  const t = jwt.sign({ sub: 'u1', iat: 1700000000 }, 'secret', { algorithm: 'HS256' });
  return { t, v: jwt.verify(t, 'secret', { ignoreExpiration: true }).sub };
};
