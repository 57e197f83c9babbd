// axios-1132: axios 1.13.2
exports.meta = { quick: true, sandbox: true, packages: ['axios-1132'] };
exports.run = require('../lib/axios-case.cjs')('axios-1132');
