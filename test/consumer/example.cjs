// CommonJS consumers: require('netlab') works through Node's require(esm) (Node >= 20.19).
const assert = require('node:assert/strict');
const netlab = require('netlab');
const dns = require('netlab/dns');
const { startLab } = require('netlab/lab');
assert.equal(typeof netlab.statusOf, 'function');
assert.equal(typeof netlab.checkCertificate, 'function');
assert.equal(dns.typeCode('AAAA'), 28);
assert.equal(typeof startLab, 'function');
process.stdout.write('consumer example (CommonJS): require works\n');
