// middy
exports.meta = {};
exports.run = async () => {
  // middy 5 is ES modules only: imported as an ESM-only package is.
  const { default: middy } = await import('@middy/core');
  const { default: jsonBody } = await import('@middy/http-json-body-parser');
  const handler = middy(async (event) => ({
    statusCode: 200,
    body: JSON.stringify({ got: event.body.x }),
  })).use(jsonBody());
  const r = await handler(
    { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ x: 42 }) },
    {},
  );
  return r;
};
