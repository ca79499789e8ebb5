// Records what the real Segment and RudderStack node libraries POST (path, auth, encoding, body) to a throwaway
// listener on 127.0.0.1, so SegmentBatchReader's fixtures stay true to the wire format. Usage:
//   node capture-wire-format.mjs > wire.json
import http from 'node:http';
import zlib from 'node:zlib';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

const captured = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const body = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
    captured.push({ method: req.method, url: req.url, headers: req.headers, rawLength: raw.length, body: body.toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"success":true}');
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const segment = new Analytics({ writeKey: 'dev-write-key', host: base, flushAt: 20, flushInterval: 500 });
segment.identify({ userId: 'seg-user-1', traits: { plan: 'pro', email: 'a@example.com' } });
segment.track({ userId: 'seg-user-1', event: 'analysis_completed', properties: { model: 'genre', accuracy: 0.93 } });
segment.page({ userId: 'seg-user-1', name: 'Pricing', properties: { path: '/pricing' } });
segment.track({ anonymousId: 'anon-1', event: 'signup_started', timestamp: new Date('2026-01-01T00:00:00Z') });
await segment.closeAndFlush();

const rudder = new RudderAnalytics('dev-write-key', { dataPlaneUrl: base, flushAt: 20, flushInterval: 500 });
rudder.identify({ userId: 'rud-user-1', traits: { plan: 'studio' } });
rudder.track({ userId: 'rud-user-1', event: 'feature_used', properties: { feature: 'stems' } });
rudder.page({ userId: 'rud-user-1', name: 'Home' });
rudder.track({ anonymousId: 'anon-2', event: 'signup_started', timestamp: new Date('2026-01-01T00:00:00Z') });
await new Promise((resolve, reject) => rudder.flush((err) => (err ? reject(err) : resolve())));
await new Promise((resolve) => setTimeout(resolve, 500));

server.close();
console.log(JSON.stringify(captured, null, 2));
process.exit(0);
