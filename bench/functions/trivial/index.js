// The trivial function of the sandbox benchmark: echo a field of the event.
exports.handler = async (event) => ({ statusCode: 200, body: String(event.n) });
