import { describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { ensureTopics, isTransientMetadataError, topicName } from './topics.js';

describe('topicName', () => {
  it('uses the bare name without a prefix', () => {
    expect(topicName('frames', '-')).toBe('tbox.frames.v1');
    expect(topicName('frames', '')).toBe('tbox.frames.v1');
  });

  it('adds the separator a prefix lacks, and keeps one it has', () => {
    expect(topicName('frames', 'ci')).toBe('ci.tbox.frames.v1');
    expect(topicName('frames', 'ci.')).toBe('ci.tbox.frames.v1');
    expect(topicName('frames', 'ci_')).toBe('ci_tbox.frames.v1');
    expect(topicName('frames', 'ci-')).toBe('ci-tbox.frames.v1');
  });
});

// The retry policy of ensureTopics over an admin that answers as a broker whose metadata lags its controller; the
// real broker's side is in test/infra/topic-setup-race.test.ts.
describe('ensureTopics', () => {
  const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
    retriable: true,
  });
  const spec = { topic: 't', numPartitions: 2, replicationFactor: 1 };
  const led = { topics: [{ name: 't', partitions: [{ leader: 1 }, { leader: 1 }] }] };

  function lagging(unknownFor: number, leaderless = 0) {
    const calls = { create: 0, metadata: 0 };
    let created = false;
    const admin = {
      listTopics: () => Promise.resolve(created ? ['t'] : []),
      createTopics: () => {
        calls.create++;
        created = true;
        return Promise.resolve(true);
      },
      fetchTopicMetadata: () => {
        calls.metadata++;
        if (calls.metadata <= unknownFor) return Promise.reject(unknownTopic);
        if (calls.metadata <= unknownFor + leaderless)
          return Promise.resolve({ topics: [{ name: 't', partitions: [{ leader: -1 }, { leader: 1 }] }] });
        return Promise.resolve(led);
      },
      createPartitions: () => Promise.resolve(true),
    };
    return { admin: admin as unknown as Admin, calls };
  }

  it('waits out a broker that does not know the new topic yet, and for every partition to have a leader', async () => {
    const { admin, calls } = lagging(3, 2);
    await expect(ensureTopics(admin, [spec], { timeoutMs: 10_000 })).resolves.toEqual({ created: ['t'], grown: [] });
    expect(calls.create).toBe(1);
    expect(calls.metadata).toBe(6);
  });

  it('fails with KAFKA_TOPIC_SETUP_FAILED once the deadline passes', async () => {
    const { admin } = lagging(Number.POSITIVE_INFINITY);
    const error = await ensureTopics(admin, [spec], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'KAFKA_TOPIC_SETUP_FAILED' });
    expect((error as Error).message).toContain('does not host this topic-partition');
  });

  it('fails at once on an error that is not about metadata catching up', async () => {
    const denied = Object.assign(new Error('Topic authorization failed'), { type: 'TOPIC_AUTHORIZATION_FAILED' });
    const admin = { listTopics: async () => Promise.reject(denied) } as unknown as Admin;
    const started = Date.now();
    await expect(ensureTopics(admin, [spec], { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'KAFKA_TOPIC_SETUP_FAILED',
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('classifies transient metadata errors, also inside kafkajs wrappers', () => {
    expect(isTransientMetadataError(unknownTopic)).toBe(true);
    expect(isTransientMetadataError({ errors: [unknownTopic, { type: 'LEADER_NOT_AVAILABLE' }] })).toBe(true);
    expect(isTransientMetadataError({ errors: [unknownTopic, { type: 'INVALID_REPLICATION_FACTOR' }] })).toBe(false);
    expect(isTransientMetadataError({ name: 'KafkaJSNumberOfRetriesExceeded', cause: unknownTopic })).toBe(true);
    expect(isTransientMetadataError(new Error('connection refused'))).toBe(false);
    expect(isTransientMetadataError(undefined)).toBe(false);
  });
});
