import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { normalizeIp } = createRequire(import.meta.url)('../../dist/lib.cjs');

test('folds every IPv4 spelling to dotted decimal', () => {
  for (const form of [
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '0x7f.1',
    '0177.0.0.1',
    '127.1',
    '127.0.1',
    '0x7F.0.0.01',
  ]) {
    assert.equal(normalizeIp(form), '127.0.0.1', form);
  }
  assert.equal(normalizeIp('169.254.169.254'), '169.254.169.254');
  assert.equal(normalizeIp('2852039166'), '169.254.169.254');
  assert.equal(normalizeIp('0xa9fea9fe'), '169.254.169.254');
});

test('folds IPv4-mapped IPv6 to IPv4, and keeps IPv6 canonical', () => {
  assert.equal(normalizeIp('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(normalizeIp('::ffff:7f00:1'), '127.0.0.1');
  assert.equal(normalizeIp('[::ffff:169.254.169.254]'), '169.254.169.254');
  assert.equal(normalizeIp('0:0:0:0:0:ffff:a9fe:a9fe'), '169.254.169.254');
  assert.equal(normalizeIp('fd00:ec2:0:0:0:0:0:254'), 'fd00:ec2::254');
  assert.equal(normalizeIp('::1'), '::1');
  assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1');
});

test('host names and junk are not IPs', () => {
  for (const s of ['localhost', 'example.com', '999.1.1.1', '1.2.3.4.5', '', 'abc', '0x', '1.2.3.4x']) {
    assert.equal(normalizeIp(s), undefined, s);
  }
});
