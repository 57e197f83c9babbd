// jose
exports.meta = {};
exports.run = async () => {
  const jose = require('jose');
  const key = new TextEncoder().encode('a-string-secret-at-least-256-bits-long');
  const t = await new jose.SignJWT({ sub: 'u2' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(1700000000)
    .sign(key);
  const { payload } = await jose.jwtVerify(t, key);
  return { t, sub: payload.sub };
};
