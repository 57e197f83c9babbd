// axios-173: axios 1.7.3
exports.meta = { quick: true, sandbox: true, packages: ['axios-173'] };
exports.run = require('../lib/axios-case.cjs')('axios-173');
