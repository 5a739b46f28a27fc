/**
 * The state every assembly step shares: the document, where diagnostics go, and the indexes that say whether a
 * statement refers to something the file defines. Each step reads the document's statements of its own section and
 * reports through here, so references are checked and worded the same way in every section.
 */
import type { DiagnosticLog } from '../diagnostics.js';
import type { DbcDocument, RawMessage, SourcePosition } from '../parser.js';

export interface AssembleOptions {
  /** Signals reaching past their message's length: error when strict, else warning (they then never decode). */
  readonly strict: boolean;
}

/**
 * Steps the overlap check may take per file (one per bit of a signal and group it can be present with, one per pair
 * of multiplexer groups). A real file needs a few per signal bit; only pathological files (hundreds of thousands of
 * signals in one message, or hundreds of multiplexer groups that can all be present together) reach it, and then
 * later overlaps go unreported: they are warnings, nothing else changes.
 */
export const MAX_OVERLAP_COMPARISONS = 20_000_000;

export type AttributeValues = Record<string, string | number>;

/** cantools skips this pseudo-message: it holds signals that belong to no frame. */
export const INDEPENDENT_SIGNALS_MESSAGE = 'VECTOR__INDEPENDENT_SIG_MSG';

export class AssemblyContext {
  /** The last BO_ per raw id (a duplicate id is reported once, when the messages are indexed). */
  readonly messagesById = new Map<number, RawMessage>();
  /** Raw ids of skipped pseudo-messages: statements about them are dropped without a warning. */
  readonly ignoredIds = new Set<number>();
  readonly nodeNames: ReadonlySet<string>;
  readonly environmentVariableNames: ReadonlySet<string>;
  /** Signal names per raw message id, built on first use (a linear scan per reference is quadratic on big files). */
  private readonly signalNames = new Map<number, ReadonlySet<string>>();
  /** Steps the overlap check may still take in this file: the bound on its time for any input. */
  overlapComparisonsLeft = MAX_OVERLAP_COMPARISONS;

  constructor(
    readonly doc: DbcDocument,
    private readonly diagnostics: DiagnosticLog,
    readonly options: AssembleOptions,
  ) {
    this.nodeNames = new Set(doc.nodes.map((n) => n.name));
    this.environmentVariableNames = new Set(doc.environmentVariables.map((e) => e.name));
  }

  report(severity: 'error' | 'warning', code: string, message: string, at: SourcePosition): void {
    this.diagnostics.add(severity, code, message, at);
  }

  warn(code: string, message: string, at: SourcePosition): void {
    this.report('warning', code, message, at);
  }

  unknownReference(what: string, section: string, at: SourcePosition): void {
    this.warn('DBC_UNKNOWN_REFERENCE', `${section} refers to unknown ${what}; ignored.`, at);
  }

  /** True when the node exists; otherwise warns. */
  isKnownNode(node: string, section: string, at: SourcePosition): boolean {
    if (this.nodeNames.has(node)) return true;
    this.unknownReference(`node ${node}`, section, at);
    return false;
  }

  /** True when the environment variable exists; otherwise warns. */
  isKnownEnvironmentVariable(name: string, section: string, at: SourcePosition): boolean {
    if (this.environmentVariableNames.has(name)) return true;
    this.unknownReference(`environment variable ${name}`, section, at);
    return false;
  }

  /** True when the message exists; warns unless it is unknown, silent when it is a skipped pseudo-message. */
  isKnownMessage(rawId: number, section: string, at: SourcePosition): boolean {
    if (this.ignoredIds.has(rawId)) return false;
    if (this.messagesById.has(rawId)) return true;
    this.unknownReference(`message id ${rawId}`, section, at);
    return false;
  }

  /** True when the message and its signal exist; otherwise warns (as isKnownMessage). */
  isKnownSignal(rawId: number, signal: string, section: string, at: SourcePosition): boolean {
    if (!this.isKnownMessage(rawId, section, at)) return false;
    const message = this.messagesById.get(rawId)!;
    const names = getOrCreate(this.signalNames, rawId, () => new Set(message.signals.map((s) => s.name)));
    if (names.has(signal)) return true;
    this.unknownReference(`signal ${signal} of message ${message.name}`, section, at);
    return false;
  }
}

/** The key of a signal in per-signal maps: signal names are unique per message, not per file. */
export function signalKey(rawId: number, signal: string): string {
  return `${rawId}\u0000${signal}`;
}

export function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
