/**
 * Kafka as the load test sees it: records on each topic (the sum of the partitions' end offsets) and how far each
 * consumer group is behind (end offset − committed offset, summed over partitions). Read through the admin client
 * only, so measuring joins no group and moves no offset.
 */
import type { createKafkaClient } from '@telltale/platform/kafka';

type Admin = ReturnType<ReturnType<typeof createKafkaClient>['admin']>;

export interface WatchedGroup {
  readonly group: string;
  readonly topic: string;
}

export class KafkaOffsets {
  constructor(private readonly admin: Admin) {}

  /** Per partition: end offset (high watermark). */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  }

  /** Records on each topic: sum of end offsets (transaction markers included). */
  async topicTotals(topics: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    await Promise.all(
      topics.map(async (topic) => {
        let sum = 0;
        for (const end of (await this.endOffsets(topic)).values()) sum += end;
        out[topic] = sum;
      }),
    );
    return out;
  }

  /** Records behind per group; a partition the group never committed counts from its low watermark. */
  async lag(groups: readonly WatchedGroup[], ends: ReadonlyMap<string, ReadonlyMap<number, number>>) {
    const out: Record<string, number> = {};
    await Promise.all(
      groups.map(async ({ group, topic }) => {
        const [committed] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
        const topicEnds = ends.get(topic) ?? new Map<number, number>();
        let behind = 0;
        for (const { partition, offset } of committed?.partitions ?? []) {
          const end = topicEnds.get(partition) ?? 0;
          const at = Number(offset);
          behind += Math.max(0, end - (at >= 0 ? at : 0));
        }
        out[`${group}`] = behind;
      }),
    );
    return out;
  }

  /** The groups that have live members now (a service not running has none). */
  async liveGroups(candidates: readonly WatchedGroup[]): Promise<WatchedGroup[]> {
    const { groups } = await this.admin.describeGroups([...new Set(candidates.map((c) => c.group))]);
    const live = new Set(groups.filter((g) => g.members.length > 0).map((g) => g.groupId));
    return candidates.filter((c) => live.has(c.group));
  }
}
