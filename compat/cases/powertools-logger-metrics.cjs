// powertools-logger-metrics
exports.meta = {};
exports.run = async () => {
  const { Logger } = require('@aws-lambda-powertools/logger');
  const { Metrics, MetricUnit } = require('@aws-lambda-powertools/metrics');
  const lines = [];
  const logger = new Logger({ serviceName: 'orders', logLevel: 'INFO', logFormatter: undefined });
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = (s) => {
    lines.push(String(s));
    return true;
  };
  try {
    logger.info('order placed', { id: 7 });
    const metrics = new Metrics({ namespace: 'shop', serviceName: 'orders' });
    metrics.addMetric('orders', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  } finally {
    process.stdout.write = orig;
  }
  const parsed = lines
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return { log: [parsed[0].message, parsed[0].id, parsed[0].service], metric: parsed[1]?.orders };
};
