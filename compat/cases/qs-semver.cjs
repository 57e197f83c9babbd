// qs-semver
exports.meta = {};
exports.run = async () => {
  const qs = require('qs');
  const semver = require('semver');
  return [
    qs.parse('a[b]=1&c=2'),
    qs.stringify({ x: [1, 2] }),
    semver.satisfies('1.2.3', '^1.0.0'),
    semver.inc('1.2.3', 'minor'),
  ];
};
