import { describe, expect, it } from 'vitest';
import type { MqttClient, Packet } from 'mqtt';
import { HeldAcknowledgements, HeldMessage } from './mqtt-intake.js';

/** Just enough of an mqtt.js client: the private packet writer the intake wraps, and the socket. */
function fakeClient(): { client: MqttClient; sent: Packet[]; written: Buffer[]; state: { connected: boolean } } {
  const sent: Packet[] = [];
  const written: Buffer[] = [];
  const state = { connected: true };
  const client = {
    get connected() {
      return state.connected;
    },
    stream: { writable: true, write: (chunk: Buffer) => written.push(chunk) },
    _sendPacket: (packet: Packet, cb?: () => void) => {
      sent.push(packet);
      cb?.();
    },
  };
  return { client: client as unknown as MqttClient, sent, written, state };
}

const tick = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));

function receive(acks: HeldAcknowledgements, client: MqttClient, messageId: number): HeldMessage {
  const message = new HeldMessage('t', Buffer.alloc(0), 0, acks, messageId);
  acks.hold(message, messageId);
  let parsedOn = false;
  // What mqtt.js does after the handler calls back: "send" the PUBACK, then parse the next packet.
  (client as unknown as { _sendPacket(p: Packet, cb: () => void): void })._sendPacket(
    { cmd: 'puback', messageId },
    () => (parsedOn = true),
  );
  expect(parsedOn).toBe(true);
  return message;
}

describe('HeldAcknowledgements', () => {
  it('writes no PUBACK before release, then all released ones in one write, in order', async () => {
    const { client, sent, written } = fakeClient();
    const acks = new HeldAcknowledgements(client);
    const messages = [receive(acks, client, 7), receive(acks, client, 300), receive(acks, client, 65535)];
    await tick();
    expect(written).toEqual([]);
    expect(sent).toEqual([]);
    for (const m of messages) m.ack();
    expect(written).toEqual([]); // leaves on the next tick, together
    await tick();
    expect(written).toEqual([Buffer.from([0x40, 2, 0, 7, 0x40, 2, 1, 44, 0x40, 2, 255, 255])]);
    expect(sent).toEqual([]);
  });

  it('sends a PUBACK released before mqtt.js handed it over as soon as it does', async () => {
    const { client, written } = fakeClient();
    const acks = new HeldAcknowledgements(client);
    const message = new HeldMessage('t', Buffer.alloc(0), 0, acks, 9);
    acks.hold(message, 9);
    message.ack();
    await tick();
    expect(written).toEqual([]);
    (client as unknown as { _sendPacket(p: Packet): void })._sendPacket({ cmd: 'puback', messageId: 9 });
    await tick();
    expect(written).toEqual([Buffer.from([0x40, 2, 0, 9])]);
  });

  it('keeps a PUBACK held when its write failed; ignores the release of a message whose id was reused', async () => {
    const { client, written } = fakeClient();
    const acks = new HeldAcknowledgements(client);
    const failed = receive(acks, client, 5);
    failed.ack(new Error('Kafka write failed'));
    const stale = receive(acks, client, 6);
    const current = receive(acks, client, 6);
    stale.ack();
    await tick();
    expect(written).toEqual([]);
    current.ack();
    await tick();
    expect(written).toEqual([Buffer.from([0x40, 2, 0, 6])]);
  });

  it('passes other packets through, and hands released PUBACKs to mqtt.js while offline', async () => {
    const { client, sent, written, state } = fakeClient();
    const acks = new HeldAcknowledgements(client);
    const send = (packet: Packet): void => (client as unknown as { _sendPacket(p: Packet): void })._sendPacket(packet);
    send({ cmd: 'pingreq' });
    send({ cmd: 'puback', messageId: 11 }); // not held (e.g. QoS 1 handled elsewhere)
    const message = receive(acks, client, 12);
    state.connected = false;
    message.ack();
    await tick();
    expect(written).toEqual([]);
    expect(sent).toEqual([{ cmd: 'pingreq' }, { cmd: 'puback', messageId: 11 }, { cmd: 'puback', messageId: 12 }]);
  });
});
