// marked
exports.meta = {};
exports.run = async () => {
  const { marked } = require('marked');
  return marked.parse('# Title\n\n- a\n- **b**');
};
