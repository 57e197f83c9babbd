// uuid
exports.meta = {};
exports.run = async () => {
  const { v5, validate, v4 } = require('uuid');
  return [v5('warden', v5.DNS), validate(v4())];
};
