/**
 * BO_ and SG_: messages and their signals, with everything the other sections attached to them (comments, VAL_,
 * attributes, value types, senders, groups, multiplexing, long names), then each message's layout checks.
 */
import type { Message, Multiplexing, Signal } from '../model.js';
import type { RawMessage, RawSignal } from '../parser.js';
import { effectiveAttribute, type AttributeDefinitions, type AttributeValuesByObject } from './attributes.js';
import type { ChoicesByObject } from './choices.js';
import type { Comments } from './comments.js';
import { INDEPENDENT_SIGNALS_MESSAGE, signalKey, type AssemblyContext } from './context.js';
import { checkLayout } from './layout-checks.js';
import type { LongNames } from './long-names.js';
import type { ExtraSenders, SignalGroups, ValueTypes } from './message-details.js';
import { resolveMultiplexing, type MessageMultiplexerValues } from './multiplexing.js';

const MAX_EXTENDED_ID = 0x1fffffff;
const MAX_STANDARD_ID = 0x7ff;
const EXTENDED_FLAG = 0x80000000;

/** What the other sections said about messages and signals. */
export interface MessageSections {
  readonly definitions: AttributeDefinitions;
  readonly attributes: AttributeValuesByObject;
  readonly comments: Comments;
  readonly choices: ChoicesByObject;
  readonly valueTypes: ValueTypes;
  readonly extraSenders: ExtraSenders;
  readonly signalGroups: SignalGroups;
  readonly multiplexerValues: ReadonlyMap<number, MessageMultiplexerValues>;
  readonly longNames: LongNames;
}

/** The frame id and kind a DBC id denotes: bit 31 marks 29-bit ids; ids above 0x7FF are 29-bit even without it. */
export function decodeDbcFrameId(rawId: number): { frameId: number; isExtended: boolean } {
  if (rawId >= EXTENDED_FLAG) return { frameId: rawId - EXTENDED_FLAG, isExtended: true };
  return { frameId: rawId, isExtended: rawId > MAX_STANDARD_ID };
}

/** Indexes BO_ by raw id so other sections can check their references; a repeated id is a warning. */
export function indexMessages(context: AssemblyContext): void {
  for (const message of context.doc.messages) {
    if (message.name === INDEPENDENT_SIGNALS_MESSAGE) {
      context.ignoredIds.add(message.rawId);
      continue;
    }
    if (context.messagesById.has(message.rawId)) {
      context.warn(
        'DBC_DUPLICATE_MESSAGE',
        `Message id ${message.rawId} is defined twice; the last definition (${message.name}) wins.`,
        message.pos,
      );
    }
    context.messagesById.set(message.rawId, message);
  }
}

export function buildMessages(context: AssemblyContext, sections: MessageSections): Message[] {
  const messages: Message[] = [];
  const seenFrames = new Map<string, RawMessage>();
  for (const raw of context.doc.messages) {
    if (raw.name === INDEPENDENT_SIGNALS_MESSAGE) continue;
    const frame = validFrame(context, raw, seenFrames);
    if (frame === undefined) continue;
    const message = buildMessage(context, sections, raw, frame);
    checkLayout(context, message, raw);
    messages.push(message);
  }
  return messages;
}

/** The message's frame id and kind, or undefined (with an error) when it cannot be a CAN frame. */
function validFrame(
  context: AssemblyContext,
  raw: RawMessage,
  seenFrames: Map<string, RawMessage>,
): { frameId: number; isExtended: boolean } | undefined {
  const { frameId, isExtended } = decodeDbcFrameId(raw.rawId);
  if (frameId > MAX_EXTENDED_ID) {
    const id = `${raw.rawId} (0x${raw.rawId.toString(16)})`;
    const problem = `id ${id} is not a valid 11-bit or 29-bit CAN id`;
    context.report('error', 'DBC_FRAME_ID', `Message ${raw.name}: ${problem}.`, raw.pos);
    return undefined;
  }
  if (raw.length > 64) {
    const problem = `length ${raw.length} bytes exceeds the CAN FD maximum of 64`;
    context.report('error', 'DBC_MESSAGE_LENGTH', `Message ${raw.name}: ${problem}.`, raw.lengthPos);
    return undefined;
  }
  // Two different DBC ids can name one frame (0x900 and 0x80000900); the same id twice was reported already.
  const frameKey = `${isExtended ? 'x' : 's'}${frameId}`;
  const previous = seenFrames.get(frameKey);
  if (previous !== undefined && previous.rawId !== raw.rawId) {
    const kind = isExtended ? 'extended' : 'standard';
    context.warn(
      'DBC_DUPLICATE_MESSAGE',
      `Messages ${previous.name} and ${raw.name} share ${kind} id 0x${frameId.toString(16)}; ` +
        `frames decode as ${raw.name}.`,
      raw.pos,
    );
  }
  seenFrames.set(frameKey, raw);
  return { frameId, isExtended };
}

function buildMessage(
  context: AssemblyContext,
  sections: MessageSections,
  raw: RawMessage,
  frame: { frameId: number; isExtended: boolean },
): Message {
  const attributes = sections.attributes.messages.get(raw.rawId) ?? {};
  const frameFormat = effectiveAttribute(sections.definitions, attributes, 'VFrameFormat');
  const cycleTime = effectiveAttribute(sections.definitions, attributes, 'GenMsgCycleTime');
  const groups = sections.signalGroups.get(raw.rawId);
  return {
    ...frame,
    // A frame longer than 8 bytes can only be CAN FD, whatever VFrameFormat says.
    isFd: (typeof frameFormat === 'string' && frameFormat.endsWith('CAN_FD')) || raw.length > 8,
    name: sections.longNames.message(raw.rawId, raw.name),
    length: raw.length,
    senders: messageSenders(sections, raw),
    signals: buildSignals(context, sections, raw),
    comment: sections.comments.messages.get(raw.rawId),
    // cantools: a cycle time of 0 means "not cyclic".
    cycleTimeMs: typeof cycleTime === 'number' && cycleTime > 0 ? cycleTime : undefined,
    attributes,
    ...(groups ? { signalGroups: groups } : {}),
    line: raw.pos.line,
  };
}

/** The BO_ sender and the BO_TX_BU_ ones, long names, without repeats; Vector__XXX alone means none. */
function messageSenders(sections: MessageSections, raw: RawMessage): string[] {
  const senders: string[] = [];
  const written = [...(raw.sender === undefined ? [] : [raw.sender]), ...(sections.extraSenders.get(raw.rawId) ?? [])];
  for (const sender of written) {
    const name = sections.longNames.node(sender);
    if (!senders.includes(name)) senders.push(name);
  }
  if (senders.length === 1 && senders[0] === 'Vector__XXX') senders.length = 0;
  return senders;
}

function buildSignals(context: AssemblyContext, sections: MessageSections, raw: RawMessage): Signal[] {
  const multiplexing = resolveMultiplexing(context, raw, sections.multiplexerValues.get(raw.rawId));
  const signals: Signal[] = [];
  const seenNames = new Set<string>();
  for (const rawSignal of raw.signals) {
    const signal = buildSignal(sections, raw, rawSignal, multiplexing.get(rawSignal) ?? { isMultiplexer: false });
    if (seenNames.has(signal.name)) {
      context.warn('DBC_DUPLICATE_SIGNAL', `Message ${raw.name} defines signal ${signal.name} twice.`, rawSignal.pos);
    }
    seenNames.add(signal.name);
    signals.push(signal);
  }
  return signals;
}

function buildSignal(sections: MessageSections, raw: RawMessage, rawSignal: RawSignal, mux: Multiplexing): Signal {
  const key = signalKey(raw.rawId, rawSignal.name);
  const attributes = sections.attributes.signals.get(key) ?? {};
  const initial = attributes.GenSigStartValue;
  // cantools reads [0|0] as "no range given".
  const noRange = rawSignal.minimum === 0 && rawSignal.maximum === 0;
  const parent = mux.parent;
  return {
    name: sections.longNames.signal(raw.rawId, rawSignal.name),
    startBit: rawSignal.startBit,
    length: rawSignal.length,
    byteOrder: rawSignal.byteOrder,
    isSigned: rawSignal.isSigned,
    valueType: sections.valueTypes.get(key) ?? 'integer',
    scale: rawSignal.scale,
    offset: rawSignal.offset,
    minimum: noRange ? undefined : rawSignal.minimum,
    maximum: noRange ? undefined : rawSignal.maximum,
    unit: rawSignal.unit,
    receivers: rawSignal.receivers.map((node) => sections.longNames.node(node)),
    choices: sections.choices.signals.get(key) ?? new Map<string, string>(),
    comment: sections.comments.signals.get(key),
    multiplexing:
      parent === undefined
        ? { isMultiplexer: mux.isMultiplexer }
        : {
            isMultiplexer: mux.isMultiplexer,
            parent: { multiplexer: sections.longNames.signal(raw.rawId, parent.multiplexer), ranges: parent.ranges },
          },
    attributes,
    ...(typeof initial === 'number' ? { initialRawValue: initial } : {}),
    line: rawSignal.pos.line,
  };
}
