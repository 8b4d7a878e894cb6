import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { WsSessions } from '../../../src/api/ws-sessions';
import type { Identity } from '../../../src/auth/identity';

function fakeSocket() {
  const closes: [number | undefined, string | undefined][] = [];
  return { closes, close: (code?: number, reason?: string) => void closes.push([code, reason]) };
}

function fakeGauge() {
  const g = { value: 0, inc: () => void g.value++, dec: () => void g.value-- };
  return g;
}

const shopper = (expiresAt?: number): Identity => ({ role: 'shopper', subject: 'u1', via: 'jwt', ...(expiresAt !== undefined ? { expiresAt } : {}) });

describe('WsSessions: graphql-ws connections, their expiry and the connection gauge', () => {
  test('a connection is closed with 4403 at its token exp, and no operation starts after it', async () => {
    const sessions = new WsSessions(fakeGauge());
    const socket = fakeSocket();
    const identity = shopper(Date.now() + 60);
    sessions.open(socket, identity);
    assert.equal(sessions.identity(socket), identity);
    assert.deepEqual(socket.closes, []);
    await sleep(90);
    assert.deepEqual(socket.closes, [[4403, 'token expired']]);
    assert.equal(sessions.identity(socket), null, 'expired: new operations are refused');
  });

  test('operations are refused from exp on, even before the timer has closed the socket', () => {
    const sessions = new WsSessions(fakeGauge());
    const socket = fakeSocket();
    const identity = shopper(Date.now() + 1);
    sessions.open(socket, identity);
    const until = Date.now() + 5;
    while (Date.now() < until) {
      // no timer can run during this synchronous wait
    }
    assert.deepEqual(socket.closes, []);
    assert.equal(sessions.identity(socket), null);
  });

  test('credentials without expiry (API keys) stay valid; a far-off exp arms no overflowing timer', async () => {
    const sessions = new WsSessions(fakeGauge());
    const apiKey = fakeSocket();
    sessions.open(apiKey, { role: 'service', subject: 'shop', via: 'api-key' });
    const farOff = fakeSocket();
    sessions.open(farOff, shopper(Date.now() + 40 * 86_400_000)); // beyond setTimeout's 24.8-day range
    await sleep(20);
    assert.deepEqual(apiKey.closes, []);
    assert.deepEqual(farOff.closes, [], 'a delay above 2^31-1 ms would fire at once');
    sessions.close(apiKey);
    sessions.close(farOff);
  });

  test('the gauge counts opened connections only: closing a refused (never opened) socket leaves it alone', () => {
    const gauge = fakeGauge();
    const sessions = new WsSessions(gauge);
    const a = fakeSocket();
    sessions.open(a, shopper());
    assert.equal(gauge.value, 1);
    for (let i = 0; i < 3; i++) sessions.close(fakeSocket()); // handshakes that were refused
    assert.equal(gauge.value, 1);
    sessions.close(a);
    sessions.close(a);
    assert.equal(gauge.value, 0);
    assert.equal(sessions.size, 0);
  });
});
