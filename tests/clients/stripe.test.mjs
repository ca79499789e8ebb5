// Stripe's own signing (the npm `stripe` library's webhooks.generateTestHeaderString, the header Stripe sends)
// against SampleMind's POST /webhooks/stripe. Needs the stack running (./run.sh up: client-api's Development settings
// hold the endpoint secret whsec_samplemind_dev). Run: cd tests/clients && npm ci && npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';

const API = (process.env.SAMPLEMIND_API ?? 'http://127.0.0.1:5080').replace(/\/+$/, '');
const SECRET = process.env.SAMPLEMIND_STRIPE_SECRET ?? 'whsec_samplemind_dev';
const stripe = new Stripe('sk_test_offline_only');

function event(type, object) {
  return JSON.stringify({
    id: `evt_${randomUUID().replaceAll('-', '')}`, object: 'event', api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, type, data: { object },
  });
}

async function deliver(payload, header) {
  const response = await fetch(`${API}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(header ? { 'Stripe-Signature': header } : {}) },
    body: payload,
  });
  return { status: response.status, body: await response.json() };
}

test('a delivery signed by the stripe library is stored once; its retry is a duplicate', async () => {
  const payload = event('customer.subscription.created', {
    id: 'sub_clients', object: 'subscription', customer: 'cus_clients', status: 'active',
    items: { object: 'list', data: [{ id: 'si_1', object: 'subscription_item', quantity: 1, price: { id: 'price_pro', unit_amount: 3499, currency: 'usd', recurring: { interval: 'month', interval_count: 1 } } }] },
  });
  const first = await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }));
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual([first.body.stored, first.body.duplicate, first.body.type], [true, false, 'customer.subscription.created']);
  const retry = await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }));
  assert.equal(retry.status, 200);
  assert.deepEqual([retry.body.stored, retry.body.duplicate], [false, true]);
});

test('a wrong secret, a tampered body and an old timestamp are 400 ProblemDetails', async () => {
  const payload = event('invoice.paid', { id: 'in_clients', object: 'invoice', customer: 'cus_clients', amount_paid: 3499, currency: 'usd' });
  const cases = [
    ['wrong secret', payload, stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_not_ours' })],
    ['tampered', payload.replace('3499', '1'), stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })],
    ['stale', payload, stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 600 })],
  ];
  for (const [name, body, header] of cases) {
    const answer = await deliver(body, header);
    assert.equal(answer.status, 400, `${name}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.status, 400);
  }
  // The same payload correctly signed is then stored: nothing of the refused deliveries was kept under its id.
  const good = await deliver(payload, stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }));
  assert.deepEqual([good.status, good.body.stored], [200, true]);
});
