// axios-latest: axios 1.21.1
exports.meta = { quick: true, sandbox: true, packages: ['axios'] };
exports.run = require('../lib/axios-case.cjs')('axios');
