// kafkajs 2.2.4 over the SASL_PLAINTEXT listener: SCRAM-SHA-256 and PLAIN logins with a Postgres
// role's password produce, consume in a group and commit byte-identical records; a wrong
// password, an unknown role and an unsupported mechanism are refused at connect.
// Skipped unless PG_KAFKA_SASL_BOOTSTRAP is set; roles are made through psql (PG_KAFKA_PGURL)
// and dropped at the end. The raw-protocol and hostile cases live in python/test_sasl.py.
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const { Kafka, logLevel } = require('kafkajs');

const BOOTSTRAP = process.env.PG_KAFKA_BOOTSTRAP || '127.0.0.1:9092';
const SASL_BOOTSTRAP = process.env.PG_KAFKA_SASL_BOOTSTRAP;
const PGURL = process.env.PG_KAFKA_PGURL || 'postgresql://postgres@127.0.0.1:5433/postgres';
const SKIP = SASL_BOOTSTRAP ? false : 'PG_KAFKA_SASL_BOOTSTRAP is unset (no SASL_PLAINTEXT listener)';
// Safety net against hangs, never a performance assertion.
const PATIENCE_MS = 60000;
// A refused login is answered after a delay that grows per source address (capped at a few
// seconds); kafkajs's own 10 s authentication timeout would be too tight after many failures.
const AUTH_TIMEOUT_MS = 30000;
const MECHANISMS = ['scram-sha-256', 'plain'];

let counter = 0;
function unique(prefix) {
  return `${prefix}-${process.pid}-${process.hrtime.bigint()}-${counter++}`;
}

function withDeadline(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), PATIENCE_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sql(query) {
  return execFileSync('psql', [PGURL, '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', query], {
    encoding: 'utf8',
    timeout: PATIENCE_MS,
  });
}

function newPassword() {
  // base64url never yields a quote or a backslash, so it goes into SQL as a plain literal.
  return `pw-${crypto.randomBytes(18).toString('base64url')}`;
}

const CLIENTS_ROLE = 'pgkafka_test_clients';
const madeRoles = [];
function createRole(tag) {
  const name = `kafka_sasl_js_${tag}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const password = newPassword();
  madeRoles.push(name);
  sql(`SET password_encryption = 'scram-sha-256'; CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  // The test cluster checks ACLs: the role may do anything through Kafka as a member of a role
  // granted ALL everywhere.
  sql(`DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${CLIENTS_ROLE}') THEN
           CREATE ROLE ${CLIENTS_ROLE} NOLOGIN;
         END IF;
       END $$;
       SELECT kafka.grant_acl('${CLIENTS_ROLE}', 'ALL', t, '*')
         FROM unnest(ARRAY['TOPIC', 'GROUP', 'TRANSACTIONAL_ID']) AS t;
       SELECT kafka.grant_acl('${CLIENTS_ROLE}', 'ALL', 'CLUSTER');
       GRANT ${CLIENTS_ROLE} TO ${name}`);
  return { name, password };
}

after(() => {
  for (const name of madeRoles) sql(`DROP ROLE IF EXISTS ${name}`);
});

const plaintext = new Kafka({
  clientId: 'pg-kafka-kafkajs-sasl-test',
  brokers: [BOOTSTRAP],
  logLevel: logLevel.NOTHING,
  retry: { retries: 10 },
});

function saslKafka(mechanism, username, password, retries = 10) {
  return new Kafka({
    clientId: 'pg-kafka-kafkajs-sasl-test',
    brokers: [SASL_BOOTSTRAP],
    logLevel: logLevel.NOTHING,
    sasl: { mechanism, username, password },
    authenticationTimeout: AUTH_TIMEOUT_MS,
    retry: { retries },
  });
}

async function createTopic(topic) {
  const admin = plaintext.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

// Every byte value, a null key, an empty and a large value.
function sampleMessages() {
  return [
    { key: Buffer.from('every-byte'), value: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
    { key: null, value: Buffer.from('no key') },
    { key: Buffer.from([0, 255, 0]), value: Buffer.alloc(1000) },
    { key: Buffer.from('utf8'), value: Buffer.from('Grüße, 東京 ✓') },
    { key: Buffer.from('empty-value'), value: Buffer.alloc(0) },
    { key: Buffer.from('large'), value: crypto.randomBytes(200000) },
  ].map((m) => ({ ...m, partition: 0 }));
}

// Comparable form of a record: hex of key (null stays null) and value.
function bytesOf({ key, value }) {
  return [key == null ? null : Buffer.from(key).toString('hex'), Buffer.from(value ?? []).toString('hex')];
}

async function consumeN(kafka, groupId, topic, n) {
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
      got.push({ key: message.key, value: message.value });
      await consumer.commitOffsets([
        { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
      ]);
      if (got.length === n) done();
    },
  });
  try {
    await withDeadline(finished, `${n} records of ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

for (const mechanism of MECHANISMS) {
  test(`${mechanism}: produce, group consume and commit over SASL, byte-identical`, { skip: SKIP }, async () => {
    const role = createRole('js');
    const topic = unique(`js-sasl-${mechanism}`);
    const groupId = unique(`js-sasl-${mechanism}-group`);
    await createTopic(topic);
    const kafka = saslKafka(mechanism, role.name, role.password);
    const messages = sampleMessages();

    const producer = kafka.producer();
    await withDeadline(producer.connect(), 'producer connect');
    const acks = await producer.send({ topic, acks: -1, messages });
    assert.equal(acks[0].baseOffset, '0');
    await producer.disconnect();

    const got = await consumeN(kafka, groupId, topic, messages.length);
    assert.deepEqual(got.map(bytesOf), messages.map(bytesOf));

    // The coordinator the group used is reached over SASL as well; its offsets are committed.
    const admin = kafka.admin();
    await withDeadline(admin.connect(), 'admin connect');
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    assert.equal(offsets[0].partitions[0].offset, String(messages.length));
  });
}

async function refusedAtConnect(kafka, check) {
  const admin = kafka.admin();
  try {
    await assert.rejects(withDeadline(admin.connect(), 'refused connect'), check);
  } finally {
    await admin.disconnect();
  }
}

function saslAuthenticationError(e) {
  assert.equal(e.name, 'KafkaJSSASLAuthenticationError', `${e.name}: ${e.message}`);
  return true;
}

for (const mechanism of MECHANISMS) {
  test(`${mechanism}: a wrong password is refused`, { skip: SKIP }, async () => {
    const role = createRole('jsbad');
    await refusedAtConnect(saslKafka(mechanism, role.name, newPassword(), 0), saslAuthenticationError);
  });

  test(`${mechanism}: an unknown role is refused`, { skip: SKIP }, async () => {
    const ghost = `kafka_sasl_js_ghost_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
    await refusedAtConnect(saslKafka(mechanism, ghost, newPassword(), 0), saslAuthenticationError);
  });
}

test('an unsupported mechanism (SCRAM-SHA-512) is refused', { skip: SKIP }, async () => {
  const role = createRole('js512');
  await refusedAtConnect(saslKafka('scram-sha-512', role.name, role.password, 0), (e) => {
    assert.ok(
      e.type === 'UNSUPPORTED_SASL_MECHANISM' || /mechanism/i.test(e.message),
      `${e.name} (${e.type}): ${e.message}`,
    );
    return true;
  });
});

test('a role whose password changed logs in with the new one only', { skip: SKIP }, async () => {
  const role = createRole('jschange');
  const fresh = newPassword();
  sql(`SET password_encryption = 'scram-sha-256'; ALTER ROLE ${role.name} PASSWORD '${fresh}'`);
  await refusedAtConnect(saslKafka('scram-sha-256', role.name, role.password, 0), saslAuthenticationError);
  const admin = saslKafka('scram-sha-256', role.name, fresh).admin();
  await withDeadline(admin.connect(), 'admin connect with the new password');
  try {
    const topics = await admin.listTopics();
    assert.ok(Array.isArray(topics));
  } finally {
    await admin.disconnect();
  }
});
