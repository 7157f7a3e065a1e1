// kafkajs 2.2.4 against pg_kafka: produce, a consumer group consumes and commits, a new member
// resumes at the committed offset, and admin lists, describes and deletes the group.
// `make blackbox` sets PG_KAFKA_BOOTSTRAP to its test cluster.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Kafka, logLevel } = require('kafkajs');

const BOOTSTRAP = process.env.PG_KAFKA_BOOTSTRAP || '127.0.0.1:9092';
// Safety net against hangs, never a performance assertion.
const PATIENCE_MS = 60000;

let counter = 0;
function unique(prefix) {
  return `${prefix}-${process.pid}-${process.hrtime.bigint()}-${counter++}`;
}

const kafka = new Kafka({
  clientId: 'pg-kafka-kafkajs-test',
  brokers: [BOOTSTRAP],
  logLevel: logLevel.NOTHING,
  retry: { retries: 10 },
});

function withDeadline(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), PATIENCE_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Runs a group member until `n` records arrived; commits after each record when `commit`.
async function consumeN(groupId, topic, n) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  let done;
  const finished = new Promise((resolve) => {
    done = resolve;
  });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (got.length >= n) return;
      got.push({ partition, offset: Number(message.offset), value: message.value.toString() });
      await consumer.commitOffsets([
        { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
      ]);
      if (got.length === n) done();
    },
  });
  await withDeadline(finished, `${n} records of ${topic}`);
  return { consumer, got };
}

test('a consumer group commits and a new member resumes after the committed offset', async () => {
  const topic = unique('js-resume');
  const groupId = unique('js-resume-group');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });

  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: 0 }));
  const acks = await producer.send({ topic, acks: -1, messages });
  assert.equal(acks[0].baseOffset, '0');
  await producer.disconnect();

  const first = await consumeN(groupId, topic, 9);
  assert.deepEqual(
    first.got.map((g) => g.offset),
    Array.from({ length: 9 }, (_, i) => i),
  );
  await first.consumer.disconnect();

  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  assert.equal(offsets[0].partitions[0].offset, '9');

  const second = await consumeN(groupId, topic, 11);
  await second.consumer.disconnect();
  assert.deepEqual(
    second.got.map((g) => [g.offset, g.value]),
    Array.from({ length: 11 }, (_, i) => [i + 9, `v${i + 9}`]),
  );
  await admin.disconnect();
});

test('admin lists, describes and deletes a consumer group', async () => {
  const topic = unique('js-admin');
  const groupId = unique('js-admin-group');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
  await producer.disconnect();

  const member = await consumeN(groupId, topic, 2);

  const { groups } = await admin.listGroups();
  const listed = groups.find((g) => g.groupId === groupId);
  assert.ok(listed, `group ${groupId} is listed`);
  assert.equal(listed.protocolType, 'consumer');

  const described = await admin.describeGroups([groupId]);
  assert.equal(described.groups.length, 1);
  const group = described.groups[0];
  assert.equal(group.errorCode, 0);
  assert.equal(group.state, 'Stable');
  assert.equal(group.protocolType, 'consumer');
  assert.equal(group.members.length, 1);

  // A group with a live member is not deleted.
  await assert.rejects(admin.deleteGroups([groupId]));

  await member.consumer.disconnect();
  const deleted = await admin.deleteGroups([groupId]);
  assert.deepEqual(
    deleted.map((d) => [d.groupId, d.errorCode]),
    [[groupId, 0]],
  );
  const after = await admin.listGroups();
  assert.ok(!after.groups.some((g) => g.groupId === groupId), 'deleted group is not listed');
  await admin.disconnect();
});
