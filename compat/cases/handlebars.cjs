// handlebars
exports.meta = {};
exports.run = async () => {
  const H = require('handlebars');
  return H.compile('{{#each xs}}<{{this}}>{{/each}} {{name}}')({ xs: [1, 2], name: '<b>' });
};
