import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startupStep } from '../../../src/app/startup-step';
import { captureLogs } from '../../helpers/log-capture';

test('a start step that keeps waiting says which step it is, again and again, and stops once it is done', async () => {
  const { logger, lines } = captureLogs();
  const value = await startupStep(logger, 'join the consumer group', new Promise<number>((r) => setTimeout(() => r(7), 75)), 20);
  assert.equal(value, 7);
  const waiting = lines().filter((l) => l.level === 40);
  assert.ok(waiting.length >= 2, `${waiting.length} warnings`);
  assert.ok(waiting.every((l) => l.step === 'join the consumer group'));
  const before = lines().length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(lines().filter((l) => l.level === 40).length, waiting.length, 'no warning after the step is done');
  assert.ok(lines().length >= before);
});

test('a quick step warns of nothing, and a failing step fails the start with its own error', async () => {
  const { logger, lines } = captureLogs();
  await startupStep(logger, 'quick', Promise.resolve(1), 50);
  await assert.rejects(startupStep(logger, 'broken', Promise.reject(new Error('neo4j refused')), 50), /neo4j refused/);
  assert.equal(lines().filter((l) => l.level === 40).length, 0);
});
