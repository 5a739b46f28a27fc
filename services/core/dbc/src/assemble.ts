/**
 * DbcDocument (statements as written) → Database (the model): resolves ids, comments, VAL_, attributes, value
 * types, long names and multiplexing, then checks the layout. Semantics follow cantools where files are ambiguous,
 * because the conformance cases are cantools' decodes; each such rule says so.
 */
import type {
  AttributeDefinition,
  AttributeObjectType,
  Database,
  DbcDiagnostic,
  EnvironmentVariable,
  Message,
  Multiplexing,
  Node,
  Signal,
  SignalGroup,
  ValueType,
} from './model.js';
import type {
  DbcDocument,
  RawChoiceEntries,
  RawMessage,
  RawSignal,
  RawTarget,
  RawValue,
  SourcePosition,
} from './parser.js';
import { byteMasks, fitsInLength, lastByteIndex } from './layout.js';

export interface AssembleOptions {
  /** Signals reaching past their message's length: error when strict, else warning (they then never decode). */
  readonly strict: boolean;
}

type AttributeValues = Record<string, string | number>;
type Ranges = readonly (readonly [number, number])[];

/** cantools skips this pseudo-message: it holds signals that belong to no frame. */
const INDEPENDENT_SIGNALS_MESSAGE = 'VECTOR__INDEPENDENT_SIG_MSG';

const MAX_EXTENDED_ID = 0x1fffffff;
const MAX_STANDARD_ID = 0x7ff;
const EXTENDED_FLAG = 0x80000000;

/** The frame id and kind a DBC id denotes: bit 31 marks 29-bit ids; ids above 0x7FF are 29-bit even without it. */
export function decodeDbcFrameId(rawId: number): { frameId: number; isExtended: boolean } {
  if (rawId >= EXTENDED_FLAG) return { frameId: rawId - EXTENDED_FLAG, isExtended: true };
  return { frameId: rawId, isExtended: rawId > MAX_STANDARD_ID };
}

/** Normalises a VAL_ number to a decimal integer string (`+5`, `05`, `1E2` → `5`, `5`, `100`), 64-bit safe. */
export function normalizeChoiceValue(text: string): string | undefined {
  if (/^[+-]?\d+$/.test(text)) return BigInt(text).toString();
  const value = Number(text);
  if (!Number.isFinite(value) || !Number.isInteger(value)) return undefined;
  return BigInt(value).toString();
}

function mergeRanges(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [low, high] of sorted) {
    const last = out[out.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else out.push([low, high]);
  }
  return out;
}

function rangesIntersect(a: Ranges, b: Ranges): boolean {
  for (const [al, ah] of a) for (const [bl, bh] of b) if (al <= bh && bl <= ah) return true;
  return false;
}

const OBJECT_TYPES: Record<RawTarget['kind'], AttributeObjectType> = {
  network: 'network',
  node: 'node',
  message: 'message',
  signal: 'signal',
  environment_variable: 'environment_variable',
  node_signal: 'node_signal',
  node_message: 'node_message',
  node_environment_variable: 'node_environment_variable',
};

class Assembler {
  private readonly definitions = new Map<string, AttributeDefinition>();
  /** Raw ids of skipped pseudo-messages: statements about them are dropped without a warning. */
  private readonly ignoredIds = new Set<number>();
  private readonly messagesById = new Map<number, RawMessage>();

  constructor(
    private readonly doc: DbcDocument,
    private readonly diagnostics: DbcDiagnostic[],
    private readonly options: AssembleOptions,
  ) {}

  private diag(severity: 'error' | 'warning', code: string, message: string, at: SourcePosition): void {
    this.diagnostics.push({ severity, code, message, line: at.line, column: at.column });
  }

  assemble(): Database {
    const doc = this.doc;
    this.loadAttributeDefinitions();

    for (const message of doc.messages) {
      if (message.name === INDEPENDENT_SIGNALS_MESSAGE) {
        this.ignoredIds.add(message.rawId);
        continue;
      }
      if (this.messagesById.has(message.rawId)) {
        this.diag(
          'warning',
          'DBC_DUPLICATE_MESSAGE',
          `Message id ${message.rawId} is defined twice; the last definition (${message.name}) wins.`,
          message.pos,
        );
      }
      this.messagesById.set(message.rawId, message);
    }

    // Per-object attribute values, keyed by the names as written (long names are applied at the end).
    const networkAttributes: AttributeValues = {};
    const nodeAttributes = new Map<string, AttributeValues>();
    const messageAttributes = new Map<number, AttributeValues>();
    const signalAttributes = new Map<string, AttributeValues>();
    const signalKey = (rawId: number, signal: string): string => `${rawId}\u0000${signal}`;
    const envVarNames = new Set(doc.environmentVariables.map((e) => e.name));
    const nodeNames = new Set(doc.nodes.map((n) => n.name));

    for (const attribute of doc.attributes) {
      const target = attribute.target;
      const value = this.attributeValue(attribute.name, attribute.value, target.kind);
      switch (target.kind) {
        case 'network':
          networkAttributes[attribute.name] = value;
          break;
        case 'node':
          if (!nodeNames.has(target.node)) this.unknownReference(`node ${target.node}`, 'BA_', attribute.pos);
          else getOrCreate(nodeAttributes, target.node, (): AttributeValues => ({}))[attribute.name] = value;
          break;
        case 'message':
          if (this.checkMessage(target.rawId, 'BA_', attribute.pos)) {
            getOrCreate(messageAttributes, target.rawId, (): AttributeValues => ({}))[attribute.name] = value;
          }
          break;
        case 'signal':
          if (this.checkSignal(target.rawId, target.signal, 'BA_', attribute.pos)) {
            getOrCreate(signalAttributes, signalKey(target.rawId, target.signal), (): AttributeValues => ({}))[
              attribute.name
            ] = value;
          }
          break;
        case 'environment_variable':
          if (!envVarNames.has(target.name))
            this.unknownReference(`environment variable ${target.name}`, 'BA_', attribute.pos);
          break;
        default:
          // Node-relation attributes (BA_REL_) describe a node's view of a signal; the model does not carry them.
          break;
      }
    }

    const comments = {
      network: [] as string[],
      node: new Map<string, string>(),
      message: new Map<number, string>(),
      signal: new Map<string, string>(),
      envVar: new Map<string, string>(),
    };
    for (const comment of doc.comments) {
      const target = comment.target;
      switch (target.kind) {
        case 'network':
          comments.network.push(comment.text);
          break;
        case 'node':
          if (!nodeNames.has(target.node)) this.unknownReference(`node ${target.node}`, 'CM_', comment.pos);
          comments.node.set(target.node, comment.text);
          break;
        case 'message':
          if (this.checkMessage(target.rawId, 'CM_', comment.pos)) comments.message.set(target.rawId, comment.text);
          break;
        case 'signal':
          if (this.checkSignal(target.rawId, target.signal, 'CM_', comment.pos)) {
            comments.signal.set(signalKey(target.rawId, target.signal), comment.text);
          }
          break;
        case 'environment_variable':
          if (!envVarNames.has(target.name))
            this.unknownReference(`environment variable ${target.name}`, 'CM_', comment.pos);
          comments.envVar.set(target.name, comment.text);
          break;
        default:
          break;
      }
    }

    const signalChoices = new Map<string, ReadonlyMap<string, string>>();
    const envVarChoices = new Map<string, ReadonlyMap<string, string>>();
    for (const choice of doc.choices) {
      const target = choice.target;
      // cantools ignores an empty VAL_ (it keeps any earlier table for the signal).
      if (choice.entries.length === 0) continue;
      if (target.kind === 'signal') {
        if (this.checkSignal(target.rawId, target.signal, 'VAL_', choice.pos)) {
          signalChoices.set(signalKey(target.rawId, target.signal), this.choiceMap(choice.entries));
        }
      } else {
        if (!envVarNames.has(target.name))
          this.unknownReference(`environment variable ${target.name}`, 'VAL_', choice.pos);
        envVarChoices.set(target.name, this.choiceMap(choice.entries));
      }
    }
    const valueTables = new Map<string, ReadonlyMap<string, string>>();
    for (const table of doc.valueTables) valueTables.set(table.name, this.choiceMap(table.entries));

    const valueTypes = new Map<string, ValueType>();
    for (const entry of doc.signalValueTypes) {
      if (this.checkSignal(entry.rawId, entry.signal, 'SIG_VALTYPE_', entry.pos)) {
        valueTypes.set(
          signalKey(entry.rawId, entry.signal),
          entry.type === 1 ? 'float32' : entry.type === 2 ? 'float64' : 'integer',
        );
      }
    }

    const extraSenders = new Map<number, string[]>();
    for (const entry of doc.extraSenders) {
      if (this.checkMessage(entry.rawId, 'BO_TX_BU_', entry.pos)) {
        getOrCreate(extraSenders, entry.rawId, () => []).push(...entry.senders);
      }
    }
    const signalGroups = new Map<number, SignalGroup[]>();
    for (const group of doc.signalGroups) {
      if (this.checkMessage(group.rawId, 'SIG_GROUP_', group.pos)) {
        getOrCreate(signalGroups, group.rawId, () => []).push({
          name: group.name,
          repetitions: group.repetitions,
          signalNames: group.signals,
        });
      }
    }

    // SG_MUL_VAL_: per message, multiplexer → signal → ranges (later statements for the same pair win).
    const muxValues = new Map<number, Map<string, Map<string, { ranges: Ranges; pos: SourcePosition }>>>();
    for (const entry of doc.multiplexerValues) {
      if (!this.checkSignal(entry.rawId, entry.signal, 'SG_MUL_VAL_', entry.pos)) continue;
      if (!this.checkSignal(entry.rawId, entry.multiplexer, 'SG_MUL_VAL_', entry.pos)) continue;
      const perMessage = getOrCreate(
        muxValues,
        entry.rawId,
        () => new Map<string, Map<string, { ranges: Ranges; pos: SourcePosition }>>(),
      );
      getOrCreate(perMessage, entry.multiplexer, () => new Map<string, { ranges: Ranges; pos: SourcePosition }>()).set(
        entry.signal,
        { ranges: entry.ranges, pos: entry.pos },
      );
    }

    const longName = (attributes: AttributeValues | undefined, key: string, name: string): string => {
      const value = attributes?.[key];
      return typeof value === 'string' && value !== '' ? value : name;
    };
    const nodeName = (name: string): string => longName(nodeAttributes.get(name), 'SystemNodeLongSymbol', name);

    const messages: Message[] = [];
    const seenFrames = new Map<string, RawMessage>();
    for (const raw of doc.messages) {
      if (raw.name === INDEPENDENT_SIGNALS_MESSAGE) continue;
      const { frameId, isExtended } = decodeDbcFrameId(raw.rawId);
      if (frameId > MAX_EXTENDED_ID) {
        this.diag(
          'error',
          'DBC_FRAME_ID',
          `Message ${raw.name}: id ${raw.rawId} (0x${raw.rawId.toString(16)}) is not a valid 11-bit or 29-bit CAN id.`,
          raw.pos,
        );
        continue;
      }
      if (raw.length > 64) {
        this.diag(
          'error',
          'DBC_MESSAGE_LENGTH',
          `Message ${raw.name}: length ${raw.length} bytes exceeds the CAN FD maximum of 64.`,
          raw.lengthPos,
        );
        continue;
      }
      // Two different DBC ids can name one frame (0x900 and 0x80000900); the same id twice was reported above.
      const frameKey = `${isExtended ? 'x' : 's'}${frameId}`;
      const previous = seenFrames.get(frameKey);
      if (previous !== undefined && previous.rawId !== raw.rawId) {
        this.diag(
          'warning',
          'DBC_DUPLICATE_MESSAGE',
          `Messages ${previous.name} and ${raw.name} share ${isExtended ? 'extended' : 'standard'} id 0x${frameId.toString(16)}; frames decode as ${raw.name}.`,
          raw.pos,
        );
      }
      seenFrames.set(frameKey, raw);

      const attributes = messageAttributes.get(raw.rawId) ?? {};
      const senders: string[] = [];
      for (const sender of [
        ...(raw.sender === undefined ? [] : [raw.sender]),
        ...(extraSenders.get(raw.rawId) ?? []),
      ]) {
        const name = nodeName(sender);
        if (!senders.includes(name)) senders.push(name);
      }
      if (senders.length === 1 && senders[0] === 'Vector__XXX') senders.length = 0;

      const signalName = (name: string): string =>
        longName(signalAttributes.get(signalKey(raw.rawId, name)), 'SystemSignalLongSymbol', name);
      const multiplexing = this.resolveMultiplexing(raw, muxValues.get(raw.rawId));
      const signals: Signal[] = [];
      const seenSignals = new Set<string>();
      for (const rawSignal of raw.signals) {
        const key = signalKey(raw.rawId, rawSignal.name);
        const name = signalName(rawSignal.name);
        if (seenSignals.has(name)) {
          this.diag(
            'warning',
            'DBC_DUPLICATE_SIGNAL',
            `Message ${raw.name} defines signal ${name} twice.`,
            rawSignal.pos,
          );
        }
        seenSignals.add(name);
        const signalAttrs = signalAttributes.get(key) ?? {};
        const mux = multiplexing.get(rawSignal) ?? { isMultiplexer: false };
        const initial = signalAttrs.GenSigStartValue;
        // cantools reads [0|0] as "no range given".
        const noRange = rawSignal.minimum === 0 && rawSignal.maximum === 0;
        signals.push({
          name,
          startBit: rawSignal.startBit,
          length: rawSignal.length,
          byteOrder: rawSignal.byteOrder,
          isSigned: rawSignal.isSigned,
          valueType: valueTypes.get(key) ?? 'integer',
          scale: rawSignal.scale,
          offset: rawSignal.offset,
          minimum: noRange ? undefined : rawSignal.minimum,
          maximum: noRange ? undefined : rawSignal.maximum,
          unit: rawSignal.unit,
          receivers: rawSignal.receivers.map(nodeName),
          choices: signalChoices.get(key) ?? new Map<string, string>(),
          comment: comments.signal.get(key),
          multiplexing:
            mux.parent === undefined
              ? { isMultiplexer: mux.isMultiplexer }
              : {
                  isMultiplexer: mux.isMultiplexer,
                  parent: { multiplexer: signalName(mux.parent.multiplexer), ranges: mux.parent.ranges },
                },
          attributes: signalAttrs,
          ...(typeof initial === 'number' ? { initialRawValue: initial } : {}),
          line: rawSignal.pos.line,
        });
      }

      const frameFormat = this.effectiveAttribute(attributes, 'VFrameFormat');
      const cycleTime = this.effectiveAttribute(attributes, 'GenMsgCycleTime');
      const groups = signalGroups.get(raw.rawId);
      const message: Message = {
        frameId,
        isExtended,
        // A frame longer than 8 bytes can only be CAN FD, whatever VFrameFormat says.
        isFd: (typeof frameFormat === 'string' && frameFormat.endsWith('CAN_FD')) || raw.length > 8,
        name: longName(attributes, 'SystemMessageLongSymbol', raw.name),
        length: raw.length,
        senders,
        signals,
        comment: comments.message.get(raw.rawId),
        // cantools: a cycle time of 0 means "not cyclic".
        cycleTimeMs: typeof cycleTime === 'number' && cycleTime > 0 ? cycleTime : undefined,
        attributes,
        ...(groups ? { signalGroups: groups } : {}),
        line: raw.pos.line,
      };
      this.checkLayout(message, raw);
      messages.push(message);
    }

    const nodes: Node[] = doc.nodes.map((node) => ({
      name: nodeName(node.name),
      comment: comments.node.get(node.name),
      attributes: nodeAttributes.get(node.name) ?? {},
    }));
    const environmentVariables: EnvironmentVariable[] = doc.environmentVariables.map((ev) => ({
      name: ev.name,
      type: ev.type,
      minimum: ev.minimum,
      maximum: ev.maximum,
      unit: ev.unit,
      initialValue: ev.initialValue,
      id: ev.id,
      accessType: ev.accessType,
      accessNodes: ev.accessNodes,
      comment: comments.envVar.get(ev.name),
      choices: envVarChoices.get(ev.name) ?? new Map<string, string>(),
    }));
    const busType = this.effectiveAttribute(networkAttributes, 'BusType');
    return {
      version: doc.version ?? '',
      nodes,
      messages,
      attributes: networkAttributes,
      busType: typeof busType === 'string' ? busType : undefined,
      comment: comments.network.length > 0 ? comments.network.join('') : undefined,
      valueTables,
      attributeDefinitions: [...this.definitions.values()],
      environmentVariables,
      signalTypes: doc.signalTypes,
    };
  }

  // ---- attributes ----

  private loadAttributeDefinitions(): void {
    const defaults = new Map<string, RawValue>();
    for (const entry of this.doc.attributeDefaults) defaults.set(entry.name, entry.value);
    for (const raw of this.doc.attributeDefinitions) {
      const valueType = raw.valueType as AttributeDefinition['valueType'];
      const base = {
        name: raw.name,
        objectType: OBJECT_TYPES[raw.objectType],
        valueType,
        minimum: valueType === 'ENUM' || valueType === 'STRING' ? undefined : raw.numbers[0],
        maximum: valueType === 'ENUM' || valueType === 'STRING' ? undefined : raw.numbers[1],
        choices: valueType === 'ENUM' ? raw.strings : undefined,
      };
      const rawDefault = defaults.get(raw.name);
      const definition: AttributeDefinition = {
        ...base,
        defaultValue: rawDefault === undefined ? undefined : convertAttribute(base, rawDefault),
      };
      this.definitions.set(raw.name, definition);
    }
    for (const [name, value] of defaults) {
      if (!this.definitions.has(name)) {
        this.diag(
          'warning',
          'DBC_UNDEFINED_ATTRIBUTE',
          `Default for attribute "${name}", which no BA_DEF_ declares.`,
          value.pos,
        );
      }
    }
  }

  private attributeValue(name: string, value: RawValue, targetKind: RawTarget['kind']): string | number {
    const definition = this.definitions.get(name);
    if (definition === undefined) {
      this.diag(
        'warning',
        'DBC_UNDEFINED_ATTRIBUTE',
        `Attribute "${name}" is set but no BA_DEF_ declares it.`,
        value.pos,
      );
      return value.kind === 'number' ? Number(value.text) : value.text;
    }
    if (definition.objectType !== OBJECT_TYPES[targetKind]) {
      this.diag(
        'warning',
        'DBC_ATTRIBUTE_OBJECT',
        `Attribute "${name}" is declared for ${definition.objectType} objects but set on a ${OBJECT_TYPES[targetKind]}.`,
        value.pos,
      );
    }
    return convertAttribute(definition, value);
  }

  /** A message/network attribute's value: the one set, else the definition's default. */
  private effectiveAttribute(values: AttributeValues, name: string): string | number | undefined {
    return values[name] ?? this.definitions.get(name)?.defaultValue;
  }

  // ---- references ----

  private unknownReference(what: string, section: string, at: SourcePosition): void {
    this.diag('warning', 'DBC_UNKNOWN_REFERENCE', `${section} refers to unknown ${what}; ignored.`, at);
  }

  private checkMessage(rawId: number, section: string, at: SourcePosition): boolean {
    if (this.ignoredIds.has(rawId)) return false;
    if (this.messagesById.has(rawId)) return true;
    this.unknownReference(`message id ${rawId}`, section, at);
    return false;
  }

  private checkSignal(rawId: number, signal: string, section: string, at: SourcePosition): boolean {
    if (!this.checkMessage(rawId, section, at)) return false;
    const message = this.messagesById.get(rawId)!;
    if (message.signals.some((s) => s.name === signal)) return true;
    this.unknownReference(`signal ${signal} of message ${message.name}`, section, at);
    return false;
  }

  private choiceMap(entries: RawChoiceEntries): ReadonlyMap<string, string> {
    const map = new Map<string, string>();
    for (const [text, label, pos] of entries) {
      const value = normalizeChoiceValue(text);
      if (value === undefined) {
        this.diag(
          'warning',
          'DBC_BAD_CHOICE',
          `Value ${text} is not an integer; its label "${label}" is ignored.`,
          pos,
        );
        continue;
      }
      map.set(value, label);
    }
    return map;
  }

  // ---- multiplexing ----

  /**
   * Multiplexing as cantools reads it. With exactly one switch (M or mNM) in the message, `mN` signals hang off it
   * with value N plus any SG_MUL_VAL_ ranges. With several switches (nested or independent multiplexing) only
   * SG_MUL_VAL_ says which switch a signal belongs to and for which values; `mN` alone is then ambiguous.
   * Plain signals (no indicator) are always present.
   */
  private resolveMultiplexing(
    raw: RawMessage,
    values: Map<string, Map<string, { ranges: Ranges; pos: SourcePosition }>> | undefined,
  ): Map<RawSignal, Multiplexing> {
    const result = new Map<RawSignal, Multiplexing>();
    const switches = raw.signals.filter((s) => s.muxIndicator?.endsWith('M'));
    const single = switches.length === 1 ? switches[0]!.name : undefined;
    const signalToMux = new Map<string, string>();
    for (const [mux, entries] of values ?? []) for (const name of entries.keys()) signalToMux.set(name, mux);
    const switchNames = new Set(switches.map((s) => s.name));

    for (const signal of raw.signals) {
      const indicator = signal.muxIndicator;
      const isMultiplexer = indicator?.endsWith('M') ?? false;
      if (indicator === undefined) {
        if (signalToMux.has(signal.name)) {
          this.diag(
            'warning',
            'DBC_MULTIPLEXING',
            `Signal ${signal.name} of message ${raw.name} has SG_MUL_VAL_ values but no m<N> indicator; it is always present.`,
            signal.pos,
          );
        }
        result.set(signal, { isMultiplexer });
        continue;
      }
      let parent: Multiplexing['parent'];
      if (single !== undefined) {
        // A bare `m` (no value) cannot hang off the switch: it stays a plain signal.
        if (signal.name !== single && indicator !== 'm') {
          const ranges: (readonly [number, number])[] = [];
          if (!isMultiplexer) {
            const value = Number(indicator.slice(1));
            ranges.push([value, value]);
          }
          const extra = values?.get(single)?.get(signal.name);
          if (extra) ranges.push(...extra.ranges);
          if (ranges.length > 0) parent = { multiplexer: single, ranges: mergeRanges(ranges) };
        }
      } else {
        const mux = signalToMux.get(signal.name);
        if (mux !== undefined) {
          parent = { multiplexer: mux, ranges: mergeRanges(values!.get(mux)!.get(signal.name)!.ranges) };
        } else if (!isMultiplexer && indicator !== 'm') {
          const why =
            switches.length === 0
              ? 'the message has no multiplexer switch (M)'
              : 'the message has several switches and no SG_MUL_VAL_ names one for it';
          this.diag(
            'warning',
            'DBC_MULTIPLEXING',
            `Signal ${signal.name} of message ${raw.name} is marked ${indicator} but ${why}; it is always present.`,
            signal.pos,
          );
        }
      }
      if (parent !== undefined && !switchNames.has(parent.multiplexer)) {
        this.diag(
          'warning',
          'DBC_MULTIPLEXING',
          `Signal ${signal.name} of message ${raw.name} depends on ${parent.multiplexer}, which is not a multiplexer switch (M); it never decodes.`,
          signal.pos,
        );
      }
      result.set(signal, parent === undefined ? { isMultiplexer } : { isMultiplexer, parent });
    }

    // A switch chain that never reaches a root signal (a cycle) never decodes.
    const byName = new Map(raw.signals.map((s) => [s.name, s]));
    for (const signal of raw.signals) {
      const seen = new Set<string>();
      let current: RawSignal | undefined = signal;
      while (current !== undefined) {
        const parent = result.get(current)?.parent;
        if (parent === undefined) break;
        if (seen.has(current.name)) {
          this.diag(
            'warning',
            'DBC_MULTIPLEXING',
            `Signal ${signal.name} of message ${raw.name} sits in a multiplexer cycle; it never decodes.`,
            signal.pos,
          );
          break;
        }
        seen.add(current.name);
        current = byName.get(parent.multiplexer);
      }
    }
    return result;
  }

  // ---- layout ----

  private checkLayout(message: Message, raw: RawMessage): void {
    const checked: { signal: Signal; raw: RawSignal; masks: Uint8Array }[] = [];
    message.signals.forEach((signal, index) => {
      const rawSignal = raw.signals[index]!;
      const at = rawSignal.layoutPos;
      const where = `Signal ${signal.name} of message ${message.name}`;
      if (signal.length < 1 || signal.length > 64) {
        this.diag('error', 'DBC_SIGNAL_LENGTH', `${where}: length ${signal.length} bits is outside 1..64.`, at);
        return;
      }
      if (
        (signal.valueType === 'float32' && signal.length !== 32) ||
        (signal.valueType === 'float64' && signal.length !== 64)
      ) {
        this.diag(
          'error',
          'DBC_SIGNAL_LENGTH',
          `${where}: a ${signal.valueType} signal must be ${signal.valueType === 'float32' ? 32 : 64} bits, not ${signal.length}.`,
          at,
        );
        return;
      }
      if (!Number.isFinite(signal.scale) || !Number.isFinite(signal.offset)) {
        this.diag('error', 'DBC_SYNTAX', `${where}: scale and offset must be finite numbers.`, at);
        return;
      }
      if (lastByteIndex(signal) >= 64) {
        this.diag(
          'error',
          'DBC_SIGNAL_OUT_OF_RANGE',
          `${where}: bits reach byte ${lastByteIndex(signal)}, past the 64 bytes of the largest CAN FD frame.`,
          at,
        );
        return;
      }
      if (!fitsInLength(signal, message.length)) {
        this.diag(
          this.options.strict ? 'error' : 'warning',
          'DBC_SIGNAL_OUT_OF_RANGE',
          `${where}: bits reach byte ${lastByteIndex(signal)} but the message is ${message.length} bytes long${this.options.strict ? '' : '; the signal never decodes'}.`,
          at,
        );
        return;
      }
      checked.push({ signal, raw: rawSignal, masks: byteMasks(signal) });
    });

    // Overlaps between signals that can be present in the same frame. Signals in different branches of the same
    // multiplexer legitimately share bits.
    const byName = new Map(message.signals.map((s) => [s.name, s]));
    const path = (signal: Signal): Map<string, Ranges> => {
      const constraints = new Map<string, Ranges>();
      let current: Signal | undefined = signal;
      while (current?.multiplexing.parent && !constraints.has(current.multiplexing.parent.multiplexer)) {
        constraints.set(current.multiplexing.parent.multiplexer, current.multiplexing.parent.ranges);
        current = byName.get(current.multiplexing.parent.multiplexer);
      }
      return constraints;
    };
    const paths = checked.map((c) => path(c.signal));
    for (let j = 1; j < checked.length; j++) {
      for (let i = 0; i < j; i++) {
        const a = checked[i]!;
        const b = checked[j]!;
        let shared = false;
        for (let k = 0; k < 64; k++) {
          if ((a.masks[k]! & b.masks[k]!) !== 0) {
            shared = true;
            break;
          }
        }
        if (!shared) continue;
        let exclusive = false;
        for (const [mux, ranges] of paths[i]!) {
          const other = paths[j]!.get(mux);
          if (other !== undefined && !rangesIntersect(ranges, other)) exclusive = true;
        }
        if (exclusive) continue;
        this.diag(
          'warning',
          'DBC_OVERLAPPING_SIGNALS',
          `Signal ${b.signal.name} of message ${message.name} overlaps signal ${a.signal.name}; each decodes on its own.`,
          b.raw.layoutPos,
        );
      }
    }
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** cantools' conversion: INT/HEX/ENUM values are integers (truncated), FLOAT numbers; ENUM indexes become labels. */
function convertAttribute(
  definition: Pick<AttributeDefinition, 'valueType' | 'choices'>,
  value: RawValue,
): string | number {
  const numeric = Number(value.text);
  switch (definition.valueType) {
    case 'INT':
    case 'HEX':
      return value.text.trim() !== '' && Number.isFinite(numeric) ? Math.trunc(numeric) : value.text;
    case 'FLOAT':
      return value.text.trim() !== '' && Number.isFinite(numeric) ? numeric : value.text;
    case 'ENUM': {
      if (value.kind === 'string') return value.text;
      const label = definition.choices?.[Math.trunc(numeric)];
      return label ?? numeric;
    }
    case 'STRING':
      return value.text;
  }
}

export function assembleDatabase(doc: DbcDocument, diagnostics: DbcDiagnostic[], options: AssembleOptions): Database {
  return new Assembler(doc, diagnostics, options).assemble();
}
