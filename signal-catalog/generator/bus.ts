/**
 * One CAN bus of a model while it is being defined: its nodes and messages, frame ids handed out by priority band.
 * Cycle time sets the band (fast control frames win arbitration over slow status frames), and network management,
 * DTC and version frames have their own bands as in AUTOSAR-style matrices. Ids are allocated in definition order,
 * so a new message goes at the end of its bus to keep every existing frame id.
 */
import type { Database, Message, Node } from '@telltale/dbc';
import { layoutMessage, type MessageSpec } from './layout.js';

export type IdBand = 'fast' | 'medium' | 'slow' | 'nm' | 'dtc' | 'version' | 'security';

const BANDS: Readonly<Record<IdBand, readonly [number, number]>> = {
  fast: [0x080, 0x1ff],
  medium: [0x200, 0x3ff],
  slow: [0x400, 0x4ff],
  nm: [0x500, 0x57f],
  dtc: [0x580, 0x5ff],
  version: [0x600, 0x67f],
  security: [0x680, 0x6ff],
};

export interface BusOptions {
  readonly name: string;
  readonly index: number;
  readonly dbcFile: string;
  /** Nominal (arbitration) bit rate, bit/s. */
  readonly bitrate: number;
  /** CAN FD data-phase bit rate, bit/s; set only on an FD bus. */
  readonly dataBitrate?: number;
  readonly comment: string;
}

export interface BusDefinition extends BusOptions {
  readonly database: Database;
}

export class BusBuilder {
  private readonly nodes = new Map<string, Node>();
  private readonly messages: Message[] = [];
  private readonly usedIds = new Set<string>();
  private readonly nextInBand = new Map<IdBand, number>();

  constructor(
    readonly options: BusOptions,
    private readonly dbName: string,
    private readonly version: string,
  ) {}

  get fd(): boolean {
    return this.options.dataBitrate !== undefined;
  }

  node(name: string, comment: string): this {
    if (!this.nodes.has(name)) this.nodes.set(name, { name, comment });
    return this;
  }

  message(spec: MessageSpec, band?: IdBand): Message {
    if (!this.nodes.has(spec.sender)) throw new Error(`${this.options.name}: unknown sender ${spec.sender}`);
    if (spec.fd === true && !this.fd) throw new Error(`${spec.name}: FD frame on classic bus ${this.options.name}`);
    const frameId = spec.frameId ?? this.allocate(band ?? bandFor(spec.cycleTimeMs));
    const key = `${spec.extended === true ? 'x' : 's'}${frameId}`;
    if (this.usedIds.has(key)) throw new Error(`${spec.name}: frame id 0x${frameId.toString(16)} already used`);
    this.usedIds.add(key);
    const message = layoutMessage(spec, frameId);
    this.messages.push(message);
    return message;
  }

  private allocate(band: IdBand): number {
    const [low, high] = BANDS[band];
    let id = this.nextInBand.get(band) ?? low;
    while (this.usedIds.has(`s${id}`)) id += 1;
    if (id > high) throw new Error(`${this.options.name}: id band ${band} is full`);
    this.nextInBand.set(band, id + 1);
    return id;
  }

  build(): BusDefinition {
    for (const message of this.messages) {
      for (const signal of message.signals) {
        const unknown = signal.receivers.find((r) => !this.nodes.has(r));
        if (unknown)
          throw new Error(`${message.name}.${signal.name}: receiver ${unknown} is not on ${this.options.name}`);
      }
    }
    const database: Database = {
      version: this.version,
      nodes: [...this.nodes.values()],
      messages: this.messages,
      attributes: { DBName: this.dbName },
      busType: this.fd ? 'CAN FD' : 'CAN',
    };
    return { ...this.options, database };
  }
}

function bandFor(cycleTimeMs: number | undefined): IdBand {
  if (cycleTimeMs === undefined) return 'slow';
  if (cycleTimeMs <= 20) return 'fast';
  if (cycleTimeMs <= 200) return 'medium';
  return 'slow';
}
