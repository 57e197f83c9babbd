// yaml-js-yaml
exports.meta = {};
exports.run = async () => {
  const YAML = require('yaml');
  const jsyaml = require('js-yaml');
  return [YAML.parse('a: [1, 2]\nb: {c: d}'), jsyaml.load('x: 1\ny: [a, b]'), YAML.stringify({ k: 'v' })];
};
