// axios-16: axios 1.6.8
exports.meta = { quick: true, sandbox: true, packages: ['axios-16'] };
exports.run = require('../lib/axios-case.cjs')('axios-16');
