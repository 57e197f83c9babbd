// pug
exports.meta = {};
exports.run = async () => {
  const pug = require('pug');
  return pug.render('ul\n  each x in xs\n    li= x', { xs: ['a', 'b'] });
};
