// ejs
exports.meta = { quick: true };
exports.run = async () => {
  const ejs = require('ejs');
  return ejs.render('<% for (const x of xs) { %><%= x %>,<% } %> <%- raw %>', { xs: ['<a>', 2], raw: '<i>' });
};
