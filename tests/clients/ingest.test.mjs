// End-to-end: the REAL Segment and RudderStack node libraries, unchanged, against SampleMind's /v1/* ingest.
// Needs the stack running (./run.sh up): SAMPLEMIND_API (default http://127.0.0.1:5080), write key dev-write-key.
// Run: cd tests/clients && npm ci && npm test
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

const API = (process.env.SAMPLEMIND_API ?? 'http://127.0.0.1:5080').replace(/\/+$/, '');
const WRITE_KEY = process.env.SAMPLEMIND_WRITE_KEY ?? 'dev-write-key';
const READ_KEY = process.env.SAMPLEMIND_READ_KEY ?? 'dev-read-key';
const run = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
const userId = (name) => `clients-${name}-${run}`;

/** GET /api/users/{id} and return its eventsApplied. */
async function eventsApplied(id) {
  const response = await fetch(`${API}/api/users/${encodeURIComponent(id)}`, {
    headers: { Authorization: `Bearer ${READ_KEY}`, Accept: 'application/json' },
  });
  const text = await response.text();
  assert.equal(response.status, 200, `GET /api/users/${id} answered ${response.status}: ${text}`);
  return JSON.parse(text).eventsApplied;
}

function basic(key) {
  return `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
}

async function postBatch(body, key = WRITE_KEY) {
  return fetch(`${API}/v1/batch`, {
    method: 'POST',
    headers: { Authorization: basic(key), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('@segment/analytics-node', () => {
  const segment = new Analytics({
    writeKey: WRITE_KEY,
    host: API,
    flushAt: 15,
    flushInterval: 200,
    maxRetries: 2,
    httpRequestTimeout: 10_000,
  });
  const errors = [];
  segment.on('error', (err) => errors.push(err));
  after(() => segment.closeAndFlush({ timeout: 10_000 }));

  /** Calls one library method and resolves once the library reports the event delivered (or fails). */
  const send = (method, message) =>
    new Promise((resolve, reject) => segment[method](message, (err) => (err ? reject(err) : resolve())));

  test('track, identify and page are delivered and applied once each', async () => {
    const id = userId('segment');
    await Promise.all([
      send('identify', { userId: id, traits: { plan: 'pro', email: `${id}@example.com` } }),
      send('track', { userId: id, event: 'signup_started' }),
      send('track', { userId: id, event: 'analysis_completed', properties: { analysis_type: 'genre', model: 'genre_classification', model_version: '2.1', processing_time_ms: 840, accuracy: 0.93 } }),
      send('page', { userId: id, name: 'Pricing', properties: { path: '/pricing' } }),
    ]);
    assert.deepEqual(errors, []);
    assert.equal(await eventsApplied(id), 4);
  });

  test('40 events travel as several /v1/batch calls and are all applied', async () => {
    const id = userId('segment-batch');
    const sends = [];
    for (let i = 0; i < 40; i++) {
      sends.push(send('track', { userId: id, event: 'feature_used', properties: { feature: `f${i % 12}` } }));
    }
    await Promise.all(sends);
    assert.deepEqual(errors, []);
    assert.equal(await eventsApplied(id), 40);
  });
});

describe('@rudderstack/rudder-sdk-node', () => {
  const errors = [];
  const rudder = new RudderAnalytics(WRITE_KEY, {
    dataPlaneUrl: API,
    flushAt: 10,
    flushInterval: 200,
    retryCount: 2,
    errorHandler: (err) => errors.push(err),
  });
  after(() => new Promise((resolve) => rudder.flush(() => resolve())));

  const send = (method, message) =>
    new Promise((resolve, reject) => rudder[method](message, (err) => (err ? reject(err) : resolve())));
  const flush = () => new Promise((resolve, reject) => rudder.flush((err) => (err ? reject(err) : resolve())));

  test('track, identify and page are delivered (gzipped) and applied once each', async () => {
    const id = userId('rudder');
    const sent = Promise.all([
      send('identify', { userId: id, traits: { plan: 'studio' } }),
      send('track', { userId: id, event: 'sample_uploaded', properties: { size_mb: 12 } }),
      send('page', { userId: id, name: 'Home' }),
    ]);
    await flush();
    await sent;
    assert.deepEqual(errors, []);
    assert.equal(await eventsApplied(id), 3);
  });

  test('25 events travel as several batches and are all applied', async () => {
    const id = userId('rudder-batch');
    const sends = [];
    for (let i = 0; i < 25; i++) {
      sends.push(send('track', { userId: id, event: 'login' }));
    }
    await flush();
    await Promise.all(sends);
    assert.deepEqual(errors, []);
    assert.equal(await eventsApplied(id), 25);
  });
});

describe('raw HTTP', () => {
  test('a batch sent twice with the same messageIds is applied once', async () => {
    const id = userId('raw');
    const body = {
      batch: [
        { type: 'identify', messageId: `${id}-1`, userId: id, traits: { plan: 'free' } },
        { type: 'track', messageId: `${id}-2`, userId: id, event: 'login' },
        { type: 'track', messageId: `${id}-3`, userId: id, event: 'session_started' },
      ],
      context: { library: { name: 'raw-fetch', version: '1' } },
      sentAt: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await postBatch(body);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { success: true });
    }
    assert.equal(await eventsApplied(id), 3);
  });

  test('an unknown write key is refused with 401 and a Basic challenge', async () => {
    const response = await postBatch({ batch: [] }, 'not-a-write-key');
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  });

  test('a batch with a bad event is refused whole and names the index', async () => {
    const id = userId('raw-bad');
    const response = await postBatch({
      batch: [
        { type: 'track', messageId: `${id}-1`, userId: id, event: 'login' },
        { type: 'track', userId: id, event: 'login' },
      ],
    });
    assert.equal(response.status, 400);
    const problem = await response.json();
    assert.deepEqual(problem.errors['batch[1].messageId'], ['is required']);
    assert.deepEqual(problem.invalidIndexes, [1]);
    const user = await fetch(`${API}/api/users/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${READ_KEY}` } });
    assert.equal(user.status, 404, 'nothing of a refused batch is stored');
  });
});
