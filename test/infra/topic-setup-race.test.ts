// Every service creates the topics it uses at start-up, and `npm start` starts them at once: on the real broker, many
// admins (each its own client, as separate processes are) ensuring overlapping sets of new topics concurrently must
// all succeed, and leave every topic with its partitions led. Before the fix, an admin that listed a topic another
// had just created failed on its metadata ("This server does not host this topic-partition") and the service exited.
import { afterAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import { createKafkaClient, ensureTopics, type TopicSpec } from '@telltale/platform/kafka';
import { LOCAL, testLogger, uniqueName } from '@telltale/platform/testing';
import { deleteTopics } from '../helpers.js';

const log = testLogger();
const run = uniqueName('topicrace');
const client = (id: string) =>
  createKafkaClient({
    brokers: LOCAL.kafkaBrokers,
    clientId: `${run}-${id}`,
    log,
    overrides: { retry: { retries: 2 } },
  });

describe('ensureTopics from many instances at once', () => {
  const admins: Admin[] = [];
  const topics: string[] = [];

  afterAll(async () => {
    await deleteTopics(client('cleanup'), topics);
    await Promise.all(admins.map((a) => a.disconnect()));
  }, 60_000);

  it('succeeds for every instance and leaves every partition with a leader', async () => {
    for (let round = 0; round < 20; round++) {
      const names = ['frames', 'signals', 'signals-dlq', 'alerts'].map((t) => `${run}.r${round}.${t}`);
      topics.push(...names);
      const spec = (topic: string): TopicSpec => ({ topic, numPartitions: 6, replicationFactor: 1 });
      // Six "services", each with its own client and an overlapping subset of the topics, started together.
      const subsets = [names.slice(0, 2), names.slice(1, 3), names.slice(1, 4), names, names.slice(2), names];
      const roundAdmins = subsets.map((_, i) => client(`r${round}-${i}`).admin());
      admins.push(...roundAdmins);
      await Promise.all(roundAdmins.map((a) => a.connect()));
      const results = await Promise.allSettled(
        roundAdmins.map(async (admin, i) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
          return ensureTopics(admin, subsets[i]!.map(spec));
        }),
      );
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
      expect(failures).toEqual([]);
      const metadata = await roundAdmins[0]!.fetchTopicMetadata({ topics: names });
      for (const name of names) {
        const partitions = metadata.topics.find((t) => t.name === name)?.partitions ?? [];
        expect(partitions.length, name).toBe(6);
        expect(
          partitions.every((p) => p.leader >= 0),
          name,
        ).toBe(true);
      }
    }
  }, 120_000);
});
