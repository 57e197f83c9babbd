// axios-027: axios 0.27.2
exports.meta = { quick: true, sandbox: true, packages: ['axios-027'] };
exports.run = require('../lib/axios-case.cjs')('axios-027');
