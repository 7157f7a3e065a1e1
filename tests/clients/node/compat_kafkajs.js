// Compatibility matrix: kafkajs (pure JS) with its codec packages. Not a `node --test` file: run
// by `make compat`; writes $PG_KAFKA_COMPAT_DIR/kafkajs.jsonl (see tests/clients/merge_compat.py).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, Partitioners } = require('kafkajs');

const BOOTSTRAP = process.env.PG_KAFKA_BOOTSTRAP || '127.0.0.1:9092';
const REPO = path.resolve(__dirname, '..', '..', '..');
const COMPAT_DIR = process.env.PG_KAFKA_COMPAT_DIR || path.join(REPO, 'target', 'compat');
const PATIENCE_MS = 60000;
const SCENARIO_TIMEOUT_MS = 120000;
const LONG_POLL_MAX_WAIT_MS = 20000;
const VERSION = require('kafkajs/package.json').version;

const codecNotes = {};
try {
  CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
} catch (e) {
  codecNotes.snappy = `kafkajs-snappy not loadable: ${e.message}`;
}
try {
  const LZ4 = require('kafkajs-lz4');
  CompressionCodecs[CompressionTypes.LZ4] = new LZ4().codec;
} catch (e) {
  codecNotes.lz4 = `kafkajs-lz4 not loadable: ${e.message}`;
}
try {
  const { ZstdCodec } = require('@kafkajs/zstd');
  CompressionCodecs[CompressionTypes.ZSTD] = ZstdCodec();
} catch (e) {
  codecNotes.zstd = '@kafkajs/zstd 0.1.1 is not installed: its native dependency cppzst 2.0.6 ' +
    'fails to compile against Node 20 headers (node.h needs C++17; cppzst builds as C++14)';
}

let counter = 0;
const unique = (p) => `${p}-${process.pid}-${process.hrtime.bigint()}-${counter++}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class NotApplicable extends Error {}

const kafka = new Kafka({ clientId: 'pg-kafka-compat', brokers: [BOOTSTRAP], logLevel: logLevel.NOTHING,
  retry: { retries: 5 } });
let admin;

// murmur2 as in the Java client (Utils.murmur2), signed 32-bit.
function murmur2(buf) {
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ buf.length) | 0;
  let i = 0;
  for (; buf.length - i >= 4; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = buf.length - i;
  if (rest === 3) h ^= buf[i + 2] << 16;
  if (rest >= 2) h ^= buf[i + 1] << 8;
  if (rest >= 1) { h ^= buf[i]; h = Math.imul(h, m); }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
assert.equal(murmur2(Buffer.from('21')), -973932308);
assert.equal(murmur2(Buffer.from('foobar')), -790332482);
assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
const javaPartition = (key, n) => (murmur2(Buffer.from(key)) & 0x7fffffff) % n;

async function create(topic, numPartitions = 1) {
  const ok = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  assert.ok(ok, 'createTopics returned false');
}

async function withProducer(opts, fn) {
  const p = kafka.producer({ idempotent: false, allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner, ...opts });
  await p.connect();
  try { return await fn(p); } finally { await p.disconnect(); }
}

async function waitFor(pred, what, patience = PATIENCE_MS) {
  const deadline = Date.now() + patience;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Consumes n records of a topic (group consumer from the beginning, no commits).
async function readN(topic, n, opts = {}) {
  const c = kafka.consumer({ groupId: unique('js-reader'), ...opts });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const got = [];
  await c.run({ autoCommit: false, eachMessage: async ({ partition, message }) => { got.push({ partition, ...message }); } });
  try {
    await waitFor(() => got.length >= n, `${n} records of ${topic}`);
  } finally {
    await c.disconnect();
  }
  return got;
}

const scenarios = {};

scenarios.metadata = async () => {
  const topic = unique('js-meta');
  await create(topic, 3);
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(md.topics[0].partitions.length, 3);
  const cluster = await admin.describeCluster();
  assert.ok(cluster.brokers.length >= 1);
  return `${cluster.brokers.length} broker(s), controller ${cluster.controller}`;
};

scenarios.create_delete_topic = async () => {
  const topic = unique('js-cd');
  await create(topic, 2);
  assert.ok((await admin.listTopics()).includes(topic));
  await admin.deleteTopics({ topics: [topic] });
  await waitFor(async () => !(await admin.listTopics()).includes(topic), 'deleted topic gone');
};

const RECORDS = [
  { key: 'k1', value: 'v1', headers: { h: ['a', 'b'], e: '' } },
  { key: null, value: 'no key' },
  { key: 'null-value', value: null },
  { key: 'empty-value', value: '' },
  { key: '', value: 'empty key' },
];

scenarios.produce_consume = async () => {
  const topic = unique('js-pc');
  await create(topic);
  await withProducer({}, (p) => p.send({ topic, acks: -1, messages: RECORDS.map((r) => ({ ...r, partition: 0 })) }));
  const got = await readN(topic, RECORDS.length);
  got.forEach((m, i) => {
    const want = RECORDS[i];
    assert.equal(Number(m.offset), i);
    assert.equal(m.key === null ? null : m.key.toString(), want.key);
    assert.equal(m.value === null ? null : m.value.toString(), want.value);
  });
  const h = got[0].headers;
  assert.deepEqual(h.h.map(String), ['a', 'b']);
  assert.equal(String(h.e), '');
  return 'keys, duplicate and empty headers, null and empty values and keys (kafkajs headers have no null value)';
};

for (const [name, type] of [['gzip', CompressionTypes.GZIP], ['snappy', CompressionTypes.Snappy],
  ['lz4', CompressionTypes.LZ4], ['zstd', CompressionTypes.ZSTD]]) {
  scenarios[`codec_${name}`] = async () => {
    if (codecNotes[name]) throw new NotApplicable(codecNotes[name]);
    const topic = unique(`js-${name}`);
    await create(topic);
    const values = Array.from({ length: 100 }, (_, i) => `${name} record ${i} `.repeat(20));
    await withProducer({}, (p) => p.send({ topic, acks: -1, compression: type,
      messages: values.map((value) => ({ value, partition: 0 })) }));
    const got = await readN(topic, values.length);
    assert.deepEqual(got.map((m) => m.value.toString()), values);
    return name === 'gzip' ? 'built in' : `codec package ${name === 'snappy' ? 'kafkajs-snappy' : 'kafkajs-lz4'}`;
  };
}

scenarios.murmur2_partitioning = async () => {
  const topic = unique('js-murmur');
  await create(topic, 7);
  const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
  const res = await withProducer({}, (p) => Promise.all(keys.map((key) =>
    p.send({ topic, acks: -1, messages: [{ key, value: 'v' }] }).then((r) => [key, r[0].partition]))));
  const bad = res.filter(([k, p]) => p !== javaPartition(k, 7));
  assert.deepEqual(bad, [], 'partition differs from Java murmur2');
  return `${keys.length} keys over 7 partitions, Partitioners.DefaultPartitioner`;
};

scenarios.list_offsets = async () => {
  const topic = unique('js-lo');
  await create(topic);
  const base = Date.now() - 60000;
  await withProducer({}, (p) => p.send({ topic, acks: -1,
    messages: [0, 1, 2, 3, 4].map((i) => ({ value: 'v', partition: 0, timestamp: String(base + i * 1000) })) }));
  const [o] = await admin.fetchTopicOffsets(topic);
  assert.equal(o.low, '0');
  assert.equal(o.high, '5');
  const [t] = await admin.fetchTopicOffsetsByTimestamp(topic, base + 2500);
  assert.equal(t.offset, '3');
  return 'fetchTopicOffsets (earliest, latest), fetchTopicOffsetsByTimestamp';
};

async function groupConsume(groupId, topic, n) {
  const c = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const got = [];
  await c.run({ autoCommit: false, eachMessage: async ({ partition, message }) => {
    if (got.length >= n) return;
    got.push(Number(message.offset));
    await c.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  } });
  await waitFor(() => got.length >= n, `${n} records`);
  return { c, got };
}

scenarios.group_commit_resume = async () => {
  const topic = unique('js-resume');
  const group = unique('js-resume-g');
  await create(topic);
  await withProducer({}, (p) => p.send({ topic, acks: -1,
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: 0 })) }));
  const first = await groupConsume(group, topic, 6);
  await first.c.disconnect();
  assert.deepEqual(first.got, [0, 1, 2, 3, 4, 5]);
  const second = await groupConsume(group, topic, 4);
  await second.c.disconnect();
  assert.deepEqual(second.got, [6, 7, 8, 9]);
};

scenarios.rebalance_two_members = async () => {
  const topic = unique('js-reb');
  const groupId = unique('js-reb-g');
  await create(topic, 4);
  const assigned = {};
  const members = [];
  for (const name of ['a', 'b']) {
    const c = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 10000 });
    c.on(c.events.GROUP_JOIN, (e) => { assigned[name] = (e.payload.memberAssignment[topic] || []).slice().sort(); });
    await c.connect();
    await c.subscribe({ topic });
    await c.run({ eachMessage: async () => {} });
    members.push(c);
  }
  try {
    const split = await waitFor(() => {
      const a = assigned.a || [];
      const b = assigned.b || [];
      const all = new Set([...a, ...b]);
      return a.length && b.length && all.size === 4 && a.length + b.length === 4 && [a, b];
    }, 'two-member split');
    await members[1].disconnect();
    await waitFor(() => (assigned.a || []).length === 4, 'a owns all after b leaves');
    return `split [${split[0]}] / [${split[1]}], back to one member after leave`;
  } finally {
    for (const c of members) await c.disconnect();
  }
};

scenarios.groups_list_describe_delete = async () => {
  const topic = unique('js-grp');
  const group = unique('js-grp-g');
  await create(topic);
  await withProducer({}, (p) => p.send({ topic, acks: -1, messages: [{ value: 'x', partition: 0 }] }));
  const { c } = await groupConsume(group, topic, 1);
  const listed = await admin.listGroups();
  assert.ok(listed.groups.some((g) => g.groupId === group), 'group not listed');
  const d = await admin.describeGroups([group]);
  assert.equal(d.groups[0].members.length, 1);
  const state = d.groups[0].state;
  await c.disconnect();
  const offs = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  assert.equal(offs[0].partitions[0].offset, '1');
  await waitFor(async () => (await admin.describeGroups([group])).groups[0].state === 'Empty', 'group empty');
  await admin.deleteGroups([group]);
  assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === group), 'group still listed');
  return `listGroups, describeGroups (state ${state}), fetchOffsets, deleteGroups`;
};

scenarios.create_partitions = async () => {
  const topic = unique('js-cp');
  await create(topic, 2);
  await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
  await waitFor(async () => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length === 4, '4 partitions');
  await withProducer({}, (p) => p.send({ topic, acks: -1, messages: [{ value: 'p3', partition: 3 }] }));
  const got = await readN(topic, 1);
  assert.equal(got[0].partition, 3);
};

scenarios.idempotent_producer = async () => {
  const topic = unique('js-idem');
  await create(topic);
  await withProducer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2 } },
    (p) => p.send({ topic, acks: -1, messages: [0, 1, 2].map((i) => ({ value: `i${i}`, partition: 0 })) }));
  const got = await readN(topic, 3);
  assert.deepEqual(got.map((m) => m.value.toString()), ['i0', 'i1', 'i2']);
};

scenarios.transactions = async () => {
  const topic = unique('js-txn');
  await create(topic);
  const p = kafka.producer({ transactionalId: unique('js-txn-id'), idempotent: true, maxInFlightRequests: 1,
    retry: { retries: 2 } });
  await p.connect();
  try {
    const txn = await p.transaction();
    await txn.send({ topic, messages: [{ value: 't', partition: 0 }] });
    await txn.commit();
  } finally {
    await p.disconnect();
  }
  const got = await readN(topic, 1, { readUncommitted: false });
  assert.equal(got[0].value.toString(), 't');
};

scenarios.long_poll = async () => {
  const topic = unique('js-lp');
  await create(topic);
  const c = kafka.consumer({ groupId: unique('js-lp-g'), maxWaitTimeInMs: LONG_POLL_MAX_WAIT_MS,
    sessionTimeout: 30000, heartbeatInterval: 1000 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  let arrived = null;
  await c.run({ eachMessage: async ({ message }) => { if (message.value.toString() === 'late') arrived = Date.now(); } });
  try {
    await sleep(4000); // joined and waiting in a long-poll fetch
    const t0 = Date.now();
    await withProducer({}, (p) => p.send({ topic, acks: -1, messages: [{ value: 'late', partition: 0 }] }));
    await waitFor(() => arrived !== null, 'record', LONG_POLL_MAX_WAIT_MS + 10000);
    const waited = (arrived - t0) / 1000;
    assert.ok(waited < LONG_POLL_MAX_WAIT_MS / 1000 * 0.75, `record arrived after ${waited}s`);
    return `record arrived ${waited.toFixed(2)}s after produce (max wait ${LONG_POLL_MAX_WAIT_MS / 1000}s)`;
  } finally {
    await c.disconnect();
  }
};

scenarios.describe_configs = async () => {
  const { ConfigResourceTypes } = require('kafkajs');
  const topic = unique('js-dc');
  await create(topic);
  const res = await admin.describeConfigs({ includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  const names = res.resources[0].configEntries.map((e) => e.configName);
  for (const k of ['retention.ms', 'cleanup.policy', 'max.message.bytes']) assert.ok(names.includes(k), `${k} missing`);
  const b = await admin.describeConfigs({ includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }] });
  assert.ok(b.resources[0].configEntries.length > 0, 'no broker configs');
  return `topic: ${names.length} entries, broker: ${b.resources[0].configEntries.length}`;
};

const ORDER = ['metadata', 'create_delete_topic', 'produce_consume', 'codec_gzip', 'codec_snappy', 'codec_lz4',
  'codec_zstd', 'murmur2_partitioning', 'list_offsets', 'group_commit_resume', 'rebalance_two_members',
  'groups_list_describe_delete', 'create_partitions', 'idempotent_producer', 'transactions', 'long_poll',
  'describe_configs'];

async function main() {
  fs.mkdirSync(COMPAT_DIR, { recursive: true });
  const out = fs.openSync(path.join(COMPAT_DIR, 'kafkajs.jsonl'), 'w');
  admin = kafka.admin();
  await admin.connect();
  for (const s of ORDER) {
    let result = 'pass';
    let note = '';
    let timer;
    try {
      const r = await Promise.race([scenarios[s](), new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`timed out after ${SCENARIO_TIMEOUT_MS / 1000}s`)), SCENARIO_TIMEOUT_MS);
      })]);
      note = r || '';
    } catch (e) {
      if (e instanceof NotApplicable) { result = 'n-a'; note = e.message; } else {
        result = 'fail';
        note = `${e.name}: ${e.message}`.replace(/\s+/g, ' ').slice(0, 300);
        console.error(e);
      }
    } finally {
      clearTimeout(timer);
    }
    fs.writeSync(out, JSON.stringify({ client: 'kafkajs', version: VERSION, scenario: s, result, note }) + '\n');
    console.log(`kafkajs ${s}: ${result} ${note}`);
  }
  fs.closeSync(out);
  await admin.disconnect().catch(() => {});
  process.exit(0);
}

main().catch((e) => { console.error(e); process.exit(1); });
