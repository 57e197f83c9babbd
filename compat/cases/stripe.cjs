// stripe
const { serve } = require('../lib/loopback.cjs');
// stripe runs `uname -a` (through a shell) for its client user agent: the default policy denies
// every process, so that spawn is reported (and refused in enforce mode; stripe carries on
// without it). Not noise: a function that wants it allows it in its policy.
exports.meta = {
  quick: true,
  expected: {
    monitor: ['warden.process.spawn', 'warden.rule.shell-spawned'],
    enforce: ['warden.process.spawn', 'warden.rule.shell-spawned'],
  },
};
exports.run = async () => {
  const Stripe = require('stripe');
  const srv = await serve({
    'GET /v1/customers': () => ({
      object: 'list',
      data: [{ id: 'cus_1', object: 'customer' }],
      has_more: false,
    }),
  });
  const stripe = new Stripe('sk_test_x', {
    host: '127.0.0.1',
    port: srv.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
  const list = await stripe.customers.list({ limit: 1 });
  await srv.close();
  return list.data.map((c) => c.id);
};
