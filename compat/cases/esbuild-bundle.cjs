// esbuild-bundle
exports.meta = { quick: true, sandbox: true, packages: ['lodash', 'dayjs'] };
exports.run = async () => {
  // A handler bundled by esbuild (lodash + dayjs inlined), as many functions are deployed.
  const path = require('node:path');
  const { handler } = require(path.join(__dirname, '..', 'build', 'bundle.cjs'));
  return handler({ xs: [3, 1, 2] });
};
