/**
 * DBC statement parser: tokens → the file's statements as written (DbcDocument), nothing resolved yet. Resolving
 * references, attributes and multiplexing is assemble.ts's job, so this file is only about syntax.
 *
 * Grammar follows cantools' (the reference reader). A broken statement is an error with its line and column, and
 * parsing resumes at the next line that starts with a section keyword so one pass reports every broken statement.
 * Sections the model has no use for (SGTYPE_VAL_, CAT_, FILTER, ...) are skipped with a warning.
 */
import type { DiagnosticLog } from './diagnostics.js';
import type { ByteOrder, EnvironmentVariable, SignalType } from './model.js';
import { DbcLexError, Lexer, type Token } from './lexer.js';

export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export interface RawSignal {
  readonly name: string;
  /** `M`, `mN` or `mNM` as written; undefined for a plain signal. */
  readonly muxIndicator: string | undefined;
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: ByteOrder;
  readonly isSigned: boolean;
  readonly scale: number;
  readonly offset: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly unit: string;
  readonly receivers: readonly string[];
  readonly pos: SourcePosition;
  /** Where the start bit and the length are written: range errors point there. */
  readonly layoutPos: SourcePosition;
}

export interface RawMessage {
  /** The id as written, bit 31 included. */
  readonly rawId: number;
  readonly name: string;
  readonly length: number;
  readonly sender: string | undefined;
  readonly signals: RawSignal[];
  readonly pos: SourcePosition;
  readonly lengthPos: SourcePosition;
}

export type RawValue = { readonly kind: 'number' | 'string'; readonly text: string; readonly pos: SourcePosition };

export type RawTarget =
  | { readonly kind: 'network' }
  | { readonly kind: 'node'; readonly node: string }
  | { readonly kind: 'message'; readonly rawId: number }
  | { readonly kind: 'signal'; readonly rawId: number; readonly signal: string }
  | { readonly kind: 'environment_variable'; readonly name: string }
  | { readonly kind: 'node_signal'; readonly node: string; readonly rawId: number; readonly signal: string }
  | { readonly kind: 'node_message'; readonly node: string; readonly rawId: number }
  | { readonly kind: 'node_environment_variable'; readonly node: string; readonly name: string };

export interface RawAttributeDefinition {
  readonly objectType: RawTarget['kind'];
  readonly name: string;
  readonly valueType: string;
  readonly numbers: readonly number[];
  readonly strings: readonly string[];
  readonly pos: SourcePosition;
}

export type RawChoiceEntries = readonly (readonly [value: string, label: string, pos: SourcePosition])[];

/** EV_ as written: comments and VAL_ labels are attached later. */
export type RawEnvironmentVariable = Omit<EnvironmentVariable, 'comment' | 'choices'> & {
  readonly pos: SourcePosition;
};

/** A DBC file's statements in file order per kind. */
export interface DbcDocument {
  version: string | undefined;
  nodes: { name: string; pos: SourcePosition }[];
  messages: RawMessage[];
  valueTables: { name: string; entries: RawChoiceEntries; pos: SourcePosition }[];
  comments: { target: RawTarget; text: string; pos: SourcePosition }[];
  attributeDefinitions: RawAttributeDefinition[];
  attributeDefaults: { name: string; value: RawValue; pos: SourcePosition }[];
  attributes: { name: string; target: RawTarget; value: RawValue; pos: SourcePosition }[];
  choices: {
    target: { kind: 'signal'; rawId: number; signal: string } | { kind: 'environment_variable'; name: string };
    entries: RawChoiceEntries;
    pos: SourcePosition;
  }[];
  signalValueTypes: { rawId: number; signal: string; type: number; pos: SourcePosition }[];
  multiplexerValues: {
    rawId: number;
    signal: string;
    multiplexer: string;
    ranges: (readonly [number, number])[];
    pos: SourcePosition;
  }[];
  extraSenders: { rawId: number; senders: string[]; pos: SourcePosition }[];
  signalGroups: { rawId: number; name: string; repetitions: number; signals: string[]; pos: SourcePosition }[];
  environmentVariables: RawEnvironmentVariable[];
  signalTypes: SignalType[];
}

/** Section keywords (cantools' list). A token that is one of these and starts a line starts a statement. */
const KEYWORDS = new Set([
  'BA_',
  'BA_DEF_',
  'BA_DEF_DEF_',
  'BA_DEF_DEF_REL_',
  'BA_DEF_REL_',
  'BA_DEF_SGTYPE_',
  'BA_REL_',
  'BA_SGTYPE_',
  'BO_',
  'BO_TX_BU_',
  'BS_',
  'BU_',
  'BU_BO_REL_',
  'BU_EV_REL_',
  'BU_SG_REL_',
  'CAT_',
  'CAT_DEF_',
  'CM_',
  'ENVVAR_DATA_',
  'EV_',
  'EV_DATA_',
  'FILTER',
  'NS_',
  'NS_DESC_',
  'SG_',
  'SG_MUL_VAL_',
  'SGTYPE_',
  'SGTYPE_VAL_',
  'SIG_GROUP_',
  'SIG_TYPE_REF_',
  'SIG_VALTYPE_',
  'SIGTYPE_VALTYPE_',
  'VAL_',
  'VAL_TABLE_',
  'VERSION',
]);

/** Words that end the NS_ list (they never appear in it). */
const NS_TERMINATORS = new Set(['BS_', 'BU_', 'BO_', 'SG_', 'EV_', 'VERSION', 'NS_']);

/** Cap on reported syntax errors: past it the file is clearly not DBC and more lines only add noise. */
const MAX_ERRORS = 50;

class SyntaxError_ extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'the end of the file';
    case 'string':
      return `string ${JSON.stringify(token.text.length > 40 ? `${token.text.slice(0, 40)}...` : token.text)}`;
    default:
      return `'${token.text}'`;
  }
}

function isKeyword(token: Token): boolean {
  return token.kind === 'word' && KEYWORDS.has(token.text);
}

export interface ParseDocumentOptions {
  /** A statement left without its ';' at the end of a line: kept (default) or dropped (cantools); warned both ways. */
  readonly missingSemicolons: 'recover' | 'drop';
}

/** Parses a DBC text into its statements. Never throws: problems are appended to `diagnostics`. */
export function parseDocument(text: string, diagnostics: DiagnosticLog, options: ParseDocumentOptions): DbcDocument {
  return new Parser(text, diagnostics, options).parse();
}

class Parser {
  private readonly lexer: Lexer;
  private errors = 0;
  private stopped = false;
  private readonly doc: DbcDocument = {
    version: undefined,
    nodes: [],
    messages: [],
    valueTables: [],
    comments: [],
    attributeDefinitions: [],
    attributeDefaults: [],
    attributes: [],
    choices: [],
    signalValueTypes: [],
    multiplexerValues: [],
    extraSenders: [],
    signalGroups: [],
    environmentVariables: [],
    signalTypes: [],
  };

  constructor(
    text: string,
    private readonly diagnostics: DiagnosticLog,
    private readonly options: ParseDocumentOptions,
  ) {
    this.lexer = new Lexer(text);
  }

  parse(): DbcDocument {
    while (!this.stopped) {
      try {
        const token = this.lexer.peek();
        if (token.kind === 'eof') break;
        this.statement();
      } catch (error) {
        if (!this.report(error)) break;
        if (!this.resync()) break;
      }
    }
    return this.doc;
  }

  /** Records a syntax or lexer error; false once too many errors make going on pointless. */
  private report(error: unknown): boolean {
    if (!(error instanceof SyntaxError_ || error instanceof DbcLexError)) throw error;
    this.errors++;
    this.diagnostics.add('error', 'DBC_SYNTAX', error.message, error);
    if (this.errors >= MAX_ERRORS) {
      this.diagnostics.add('error', 'DBC_SYNTAX', `Stopped after ${MAX_ERRORS} errors.`, error);
      this.stopped = true;
      return false;
    }
    return true;
  }

  /** Skips to the next line that starts with a section keyword; false at the end of the file. */
  private resync(): boolean {
    for (;;) {
      try {
        const token = this.lexer.peek();
        if (token.kind === 'eof') return false;
        if (token.firstOnLine && isKeyword(token) && token.text !== 'SG_') return true;
        this.lexer.next();
      } catch (error) {
        // A stray character while skipping: report it; the lexer has stepped over it.
        if (!this.report(error)) return false;
      }
    }
  }

  // ---- token helpers ----

  private fail(token: Token, expected: string): never {
    throw new SyntaxError_(`Expected ${expected}, got ${describe(token)}.`, token.line, token.column);
  }

  private isPunct(token: Token, punct: string): boolean {
    return token.kind === 'punct' && token.text === punct;
  }

  // The expect* helpers consume a token only when it matches, so that a failed statement never swallows the
  // keyword that starts the next one.
  private expectPunct(punct: string, context: string): Token {
    const token = this.lexer.peek();
    if (!this.isPunct(token, punct)) this.fail(token, `'${punct}' ${context}`);
    return this.lexer.next();
  }

  private acceptPunct(punct: string): boolean {
    if (this.isPunct(this.lexer.peek(), punct)) {
      this.lexer.next();
      return true;
    }
    return false;
  }

  private expectWord(what: string): Token {
    const token = this.lexer.peek();
    if (token.kind !== 'word' || (token.firstOnLine && KEYWORDS.has(token.text))) this.fail(token, what);
    return this.lexer.next();
  }

  private expectString(what: string): Token {
    const token = this.lexer.peek();
    if (token.kind !== 'string') this.fail(token, what);
    return this.lexer.next();
  }

  private expectNumber(what: string): number {
    const token = this.lexer.peek();
    if (token.kind !== 'number') this.fail(token, what);
    return Number(this.lexer.next().text);
  }

  /** A non-negative integer (ids, bit positions, lengths). */
  private expectUnsigned(what: string): number {
    const token = this.lexer.peek();
    const value = Number(token.text);
    if (token.kind !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(token, what);
    }
    this.lexer.next();
    return value;
  }

  /**
   * Ends a statement at ';' and returns true when the statement is to be kept. Real files often leave the ';' off
   * at the end of a line (`VAL_ ... "Off"`, a CM_ whose string ends the line): when the next token starts a new
   * section (or the file ends), the statement is complete as far as its grammar goes. It is kept with a warning, or
   * with `missingSemicolons: 'drop'` dropped with a warning (cantools' reading). Anything else is a syntax error.
   */
  private endStatement(keyword: Token): boolean {
    const token = this.lexer.peek();
    if (this.isPunct(token, ';')) {
      this.lexer.next();
      return true;
    }
    if (token.kind === 'eof' || (token.firstOnLine && isKeyword(token))) {
      const recover = this.options.missingSemicolons === 'recover';
      const outcome = recover ? 'read as if it were' : 'ignored';
      this.warn('DBC_MISSING_SEMICOLON', `${keyword.text} statement is not ended by ';'; ${outcome}.`, keyword);
      return recover;
    }
    this.fail(token, `';' to end the ${keyword.text} statement`);
  }

  private warn(code: string, message: string, at: SourcePosition): void {
    this.diagnostics.add('warning', code, message, at);
  }

  private pos(token: Token): SourcePosition {
    return { line: token.line, column: token.column };
  }

  /** Skips an unsupported statement: up to its ';' or the next line starting with a section keyword. */
  private skipStatement(): void {
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === 'eof') return;
      if (token.firstOnLine && isKeyword(token)) return;
      this.lexer.next();
      if (this.isPunct(token, ';')) return;
    }
  }

  // ---- statements ----

  private statement(): void {
    const token = this.lexer.next();
    if (token.kind !== 'word') this.fail(token, 'a section keyword (BO_, SG_, CM_, ...)');
    switch (token.text) {
      case 'VERSION':
        this.doc.version = this.expectString('the version string after VERSION').text;
        return;
      case 'NS_':
        return this.newSymbols();
      case 'BS_':
        this.expectPunct(':', 'after BS_');
        // Baud rate settings (`BS_: 500 : 12,34`) are obsolete and unused: skip them.
        while (!this.atSectionStart()) this.lexer.next();
        return;
      case 'BU_':
        return this.nodes();
      case 'BO_':
        return this.message(token);
      case 'SG_':
        throw new SyntaxError_('SG_ outside a BO_ message definition.', token.line, token.column);
      case 'CM_':
        return this.comment(token);
      case 'BA_DEF_':
      case 'BA_DEF_REL_':
        return this.attributeDefinition(token);
      case 'BA_DEF_DEF_':
      case 'BA_DEF_DEF_REL_':
        return this.attributeDefault(token);
      case 'BA_':
        return this.attribute(token);
      case 'BA_REL_':
        return this.relationAttribute(token);
      case 'VAL_':
        return this.choices(token);
      case 'VAL_TABLE_':
        return this.valueTable(token);
      case 'SIG_VALTYPE_':
        return this.signalValueType(token);
      case 'SG_MUL_VAL_':
        return this.multiplexerValues(token);
      case 'BO_TX_BU_':
        return this.extraSenders(token);
      case 'SIG_GROUP_':
        return this.signalGroup(token);
      case 'EV_':
        return this.environmentVariable(token);
      case 'SGTYPE_':
        return this.signalType(token);
      default:
        if (KEYWORDS.has(token.text) || /^[A-Z][A-Z0-9_]*_$/.test(token.text)) {
          this.warn('DBC_UNSUPPORTED_SECTION', `${token.text} statements are not used by Telltale; skipped.`, token);
          this.skipStatement();
          return;
        }
        this.fail(token, 'a section keyword (BO_, SG_, CM_, ...)');
    }
  }

  private atSectionStart(): boolean {
    const token = this.lexer.peek();
    return token.kind === 'eof' || (token.firstOnLine && isKeyword(token));
  }

  private newSymbols(): void {
    this.expectPunct(':', 'after NS_');
    // The list of symbols a tool may use; it ends before the first `WORD :` (usually `BS_:`), as in cantools.
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind !== 'word' || NS_TERMINATORS.has(token.text)) return;
      if (this.isPunct(this.lexer.peek(1), ':')) return;
      this.lexer.next();
    }
  }

  private nodes(): void {
    this.expectPunct(':', 'after BU_');
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === 'word' && !KEYWORDS.has(token.text)) {
        this.lexer.next();
        this.doc.nodes.push({ name: token.text, pos: this.pos(token) });
      } else if (this.isPunct(token, ',')) {
        this.lexer.next();
      } else {
        return;
      }
    }
  }

  private message(keyword: Token): void {
    const idToken = this.lexer.peek();
    const rawId = this.expectUnsigned('the message id after BO_');
    if (rawId > 0xffffffff) this.fail(idToken, 'a message id of at most 32 bits');
    const name = this.expectWord('the message name').text;
    this.expectPunct(':', 'after the message name');
    const lengthToken = this.lexer.peek();
    const length = this.expectUnsigned('the message length in bytes');
    let sender: string | undefined;
    const next = this.lexer.peek();
    if (next.kind === 'word' && !KEYWORDS.has(next.text)) {
      this.lexer.next();
      sender = next.text;
    }
    const message: RawMessage = {
      rawId,
      name,
      length,
      sender,
      signals: [],
      pos: this.pos(keyword),
      lengthPos: this.pos(lengthToken),
    };
    this.doc.messages.push(message);
    // Each SG_ line is its own recovery unit: one broken signal does not drop the rest of the message.
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind !== 'word' || token.text !== 'SG_') return;
      try {
        this.lexer.next();
        message.signals.push(this.signal(token));
      } catch (error) {
        if (!this.report(error)) return;
        // Skip the rest of the broken SG_ line.
        for (;;) {
          const t = this.lexer.peek();
          if (t.kind === 'eof' || (t.firstOnLine && isKeyword(t))) break;
          this.lexer.next();
        }
      }
    }
  }

  private signal(keyword: Token): RawSignal {
    const name = this.expectWord('the signal name after SG_').text;
    let muxIndicator: string | undefined;
    const maybeMux = this.lexer.peek();
    if (maybeMux.kind === 'word') {
      if (maybeMux.text === 'm') {
        // opendbc's vw_pq.dbc has a bare `m`. cantools (the reference) reads it as "multiplexed, value unknown":
        // not a switch, so signals depending on it never decode. Kept as written; assemble.ts follows cantools.
        this.warn(
          'DBC_MULTIPLEXING',
          `Signal ${name}: multiplexer indicator 'm' has no value; the signal is not a switch (M).`,
          maybeMux,
        );
        muxIndicator = this.lexer.next().text;
      } else if (/^(M|m\d+M?)$/.test(maybeMux.text)) {
        muxIndicator = this.lexer.next().text;
      } else {
        this.fail(maybeMux, `':' or a multiplexer indicator (M, m<N>, m<N>M) after signal ${name}`);
      }
    }
    this.expectPunct(':', `after signal ${name}`);
    const layoutToken = this.lexer.peek();
    const startBit = this.expectUnsigned('the start bit');
    this.expectPunct('|', 'between start bit and length');
    const length = this.expectUnsigned('the signal length in bits');
    this.expectPunct('@', 'before the byte order');
    const orderToken = this.lexer.peek();
    if (orderToken.kind !== 'number' || (orderToken.text !== '0' && orderToken.text !== '1')) {
      this.fail(orderToken, 'byte order 0 (Motorola) or 1 (Intel) after @');
    }
    this.lexer.next();
    const signToken = this.lexer.peek();
    if (!this.isPunct(signToken, '+') && !this.isPunct(signToken, '-')) {
      this.fail(signToken, "'+' (unsigned) or '-' (signed) after the byte order");
    }
    this.lexer.next();
    this.expectPunct('(', 'before the scale');
    const scale = this.expectNumber('the scale');
    this.expectPunct(',', 'between scale and offset');
    const offset = this.expectNumber('the offset');
    this.expectPunct(')', 'after the offset');
    this.expectPunct('[', 'before the minimum');
    const minimum = this.expectNumber('the minimum');
    this.expectPunct('|', 'between minimum and maximum');
    const maximum = this.expectNumber('the maximum');
    this.expectPunct(']', 'after the maximum');
    const unit = this.expectString('the unit string').text;
    const receivers: string[] = [];
    for (;;) {
      const token = this.lexer.peek();
      if (token.firstOnLine) break;
      if (token.kind === 'word' && !KEYWORDS.has(token.text)) {
        this.lexer.next();
        if (token.text !== 'Vector__XXX') receivers.push(token.text);
      } else if (this.isPunct(token, ',')) {
        this.lexer.next();
      } else {
        break;
      }
    }
    return {
      name,
      muxIndicator,
      startBit,
      length,
      byteOrder: orderToken.text === '0' ? 'big_endian' : 'little_endian',
      isSigned: signToken.text === '-',
      scale,
      offset,
      minimum,
      maximum,
      unit,
      receivers,
      pos: this.pos(keyword),
      layoutPos: this.pos(layoutToken),
    };
  }

  private comment(keyword: Token): void {
    try {
      this.commentBody(keyword);
    } catch (error) {
      if (!(error instanceof SyntaxError_)) throw error;
      // A comment never changes decoding, and OEM files carry broken ones (`CM_ SG_ 304 "text";` without the
      // signal name, in opendbc's Honda files): report it and skip it rather than reject the file.
      this.warn('DBC_BAD_COMMENT', `Malformed CM_ statement ignored: ${error.message}`, error);
      this.skipStatement();
    }
  }

  private commentBody(keyword: Token): void {
    const expected = 'BU_, BO_, SG_, EV_ or a string after CM_';
    const target: RawTarget =
      this.lexer.peek().kind === 'string'
        ? { kind: 'network' }
        : this.objectTarget(this.expectWord(expected), expected);
    const text = this.expectString('the comment string').text;
    if (!this.endStatement(keyword)) return;
    this.doc.comments.push({ target, text, pos: this.pos(keyword) });
  }

  /** The object a CM_ or BA_ statement is about, after its kind keyword (BU_ name, BO_ id, SG_ id name, EV_ name). */
  private objectTarget(kind: Token, expected: string): RawTarget {
    switch (kind.text) {
      case 'BU_':
        return { kind: 'node', node: this.expectWord('the node name').text };
      case 'BO_':
        return { kind: 'message', rawId: this.expectUnsigned('the message id') };
      case 'SG_': {
        const rawId = this.expectUnsigned('the message id');
        return { kind: 'signal', rawId, signal: this.expectWord('the signal name').text };
      }
      case 'EV_':
        return { kind: 'environment_variable', name: this.expectWord('the environment variable name').text };
      default:
        this.fail(kind, expected);
    }
  }

  private attributeDefinition(keyword: Token): void {
    const isRelation = keyword.text === 'BA_DEF_REL_';
    let objectType: RawTarget['kind'] = 'network';
    const first = this.lexer.peek();
    if (first.kind === 'word') {
      const types: Record<string, RawTarget['kind']> = isRelation
        ? { BU_SG_REL_: 'node_signal', BU_BO_REL_: 'node_message', BU_EV_REL_: 'node_environment_variable' }
        : { BU_: 'node', BO_: 'message', SG_: 'signal', EV_: 'environment_variable' };
      const type = types[first.text];
      if (type === undefined) this.fail(first, `an object type (${Object.keys(types).join(', ')}) or the name`);
      objectType = type;
      this.lexer.next();
    }
    const name = this.expectString('the attribute name').text;
    const typeToken = this.expectWord('the attribute type (INT, HEX, FLOAT, STRING, ENUM)');
    const valueType = typeToken.text;
    if (!['INT', 'HEX', 'FLOAT', 'STRING', 'ENUM'].includes(valueType)) {
      this.fail(typeToken, 'the attribute type (INT, HEX, FLOAT, STRING, ENUM)');
    }
    const numbers: number[] = [];
    const strings: string[] = [];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === 'number') numbers.push(Number(this.lexer.next().text));
      else if (token.kind === 'string') strings.push(this.lexer.next().text);
      else if (this.isPunct(token, ',')) this.lexer.next();
      else break;
    }
    if (!this.endStatement(keyword)) return;
    this.doc.attributeDefinitions.push({ objectType, name, valueType, numbers, strings, pos: this.pos(keyword) });
  }

  private value(what: string): RawValue {
    const token = this.lexer.peek();
    if (token.kind !== 'number' && token.kind !== 'string') this.fail(token, what);
    this.lexer.next();
    return { kind: token.kind, text: token.text, pos: this.pos(token) };
  }

  private attributeDefault(keyword: Token): void {
    const name = this.expectString('the attribute name').text;
    const value = this.value('the default value');
    if (!this.endStatement(keyword)) return;
    this.doc.attributeDefaults.push({ name, value, pos: this.pos(keyword) });
  }

  private attribute(keyword: Token): void {
    const name = this.expectString('the attribute name after BA_').text;
    let target: RawTarget = { kind: 'network' };
    const kind = this.lexer.peek();
    if (kind.kind === 'word') target = this.objectTarget(this.lexer.next(), 'BU_, BO_, SG_, EV_ or the value');
    const value = this.value('the attribute value');
    if (!this.endStatement(keyword)) return;
    this.doc.attributes.push({ name, target, value, pos: this.pos(keyword) });
  }

  private relationAttribute(keyword: Token): void {
    const name = this.expectString('the attribute name after BA_REL_').text;
    const relation = this.expectWord('BU_SG_REL_, BU_BO_REL_ or BU_EV_REL_');
    const node = this.expectWord('the node name').text;
    let target: RawTarget;
    switch (relation.text) {
      case 'BU_SG_REL_': {
        const sg = this.expectWord('SG_');
        if (sg.text !== 'SG_') this.fail(sg, 'SG_');
        const rawId = this.expectUnsigned('the message id');
        target = { kind: 'node_signal', node, rawId, signal: this.expectWord('the signal name').text };
        break;
      }
      case 'BU_BO_REL_':
        target = { kind: 'node_message', node, rawId: this.expectUnsigned('the message id') };
        break;
      case 'BU_EV_REL_':
        target = {
          kind: 'node_environment_variable',
          node,
          name: this.expectWord('the environment variable name').text,
        };
        break;
      default:
        this.fail(relation, 'BU_SG_REL_, BU_BO_REL_ or BU_EV_REL_');
    }
    const value = this.value('the attribute value');
    if (!this.endStatement(keyword)) return;
    this.doc.attributes.push({ name, target, value, pos: this.pos(keyword) });
  }

  private choiceEntries(): RawChoiceEntries {
    const entries: [string, string, SourcePosition][] = [];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind !== 'number') return entries;
      this.lexer.next();
      entries.push([token.text, this.expectString(`the label for value ${token.text}`).text, this.pos(token)]);
    }
  }

  private choices(keyword: Token): void {
    const first = this.lexer.peek();
    if (first.kind === 'number') {
      const rawId = this.expectUnsigned('the message id');
      const signal = this.expectWord('the signal name').text;
      const entries = this.choiceEntries();
      if (!this.endStatement(keyword)) return;
      this.doc.choices.push({ target: { kind: 'signal', rawId, signal }, entries, pos: this.pos(keyword) });
    } else {
      const name = this.expectWord('the message id or environment variable name after VAL_').text;
      const entries = this.choiceEntries();
      if (!this.endStatement(keyword)) return;
      this.doc.choices.push({ target: { kind: 'environment_variable', name }, entries, pos: this.pos(keyword) });
    }
  }

  private valueTable(keyword: Token): void {
    const name = this.expectWord('the value table name').text;
    const entries = this.choiceEntries();
    if (!this.endStatement(keyword)) return;
    this.doc.valueTables.push({ name, entries, pos: this.pos(keyword) });
  }

  private signalValueType(keyword: Token): void {
    const rawId = this.expectUnsigned('the message id');
    const signal = this.expectWord('the signal name').text;
    this.acceptPunct(':');
    const typeToken = this.lexer.peek();
    const type = this.expectUnsigned('the value type (0 integer, 1 float32, 2 float64)');
    if (type > 2) this.fail(typeToken, 'the value type (0 integer, 1 float32, 2 float64)');
    if (!this.endStatement(keyword)) return;
    this.doc.signalValueTypes.push({ rawId, signal, type, pos: this.pos(keyword) });
  }

  private multiplexerValues(keyword: Token): void {
    const rawId = this.expectUnsigned('the message id');
    const signal = this.expectWord('the signal name').text;
    const multiplexer = this.expectWord('the multiplexer signal name').text;
    const ranges: (readonly [number, number])[] = [];
    for (;;) {
      const lowToken = this.lexer.peek();
      const low = this.expectUnsigned('the low end of a multiplexer value range');
      // `3-5` lexes as 3 and -5 (a negative number); `3 - 5` as 3, '-', 5.
      const highToken = this.lexer.peek();
      let high: number;
      if (this.isPunct(highToken, '-')) {
        this.lexer.next();
        high = this.expectUnsigned('the high end of a multiplexer value range');
      } else if (highToken.kind === 'number' && highToken.text.startsWith('-')) {
        high = Number(highToken.text.slice(1));
        if (!Number.isSafeInteger(high)) this.fail(highToken, 'the high end of a multiplexer value range');
        this.lexer.next();
      } else {
        this.fail(highToken, "'-' and the high end of a multiplexer value range");
      }
      if (high < low) {
        throw new SyntaxError_(`Empty multiplexer value range ${low}-${high}.`, lowToken.line, lowToken.column);
      }
      ranges.push([low, high]);
      if (!this.acceptPunct(',')) break;
    }
    if (!this.endStatement(keyword)) return;
    this.doc.multiplexerValues.push({ rawId, signal, multiplexer, ranges, pos: this.pos(keyword) });
  }

  private extraSenders(keyword: Token): void {
    const rawId = this.expectUnsigned('the message id');
    this.expectPunct(':', 'after the message id');
    const senders: string[] = [];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === 'word' && !KEYWORDS.has(token.text)) senders.push(this.lexer.next().text);
      else if (this.isPunct(token, ',')) this.lexer.next();
      else break;
    }
    if (!this.endStatement(keyword)) return;
    this.doc.extraSenders.push({ rawId, senders, pos: this.pos(keyword) });
  }

  private signalGroup(keyword: Token): void {
    const rawId = this.expectUnsigned('the message id');
    const name = this.expectWord('the signal group name').text;
    const repetitions = this.expectUnsigned('the repetitions');
    this.expectPunct(':', 'after the repetitions');
    const signals: string[] = [];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === 'word' && !KEYWORDS.has(token.text)) signals.push(this.lexer.next().text);
      else if (this.isPunct(token, ',')) this.lexer.next();
      else break;
    }
    if (!this.endStatement(keyword)) return;
    this.doc.signalGroups.push({ rawId, name, repetitions, signals, pos: this.pos(keyword) });
  }

  private environmentVariable(keyword: Token): void {
    const name = this.expectWord('the environment variable name').text;
    this.expectPunct(':', 'after the environment variable name');
    const type = this.expectUnsigned('the environment variable type');
    this.expectPunct('[', 'before the minimum');
    const minimum = this.expectNumber('the minimum');
    this.expectPunct('|', 'between minimum and maximum');
    const maximum = this.expectNumber('the maximum');
    this.expectPunct(']', 'after the maximum');
    const unit = this.expectString('the unit string').text;
    const initialValue = this.expectNumber('the initial value');
    const id = this.expectNumber('the environment variable id');
    const accessType = this.expectWord('the access type').text;
    const accessNodes: string[] = [];
    for (;;) {
      const token = this.lexer.peek();
      if (token.kind === 'word' && !KEYWORDS.has(token.text)) accessNodes.push(this.lexer.next().text);
      else if (this.isPunct(token, ',')) this.lexer.next();
      else break;
    }
    if (!this.endStatement(keyword)) return;
    this.doc.environmentVariables.push({
      name,
      type,
      minimum,
      maximum,
      unit,
      initialValue,
      id,
      accessType,
      accessNodes,
      pos: this.pos(keyword),
    });
  }

  private signalType(keyword: Token): void {
    // SGTYPE_ name : length@order sign (scale,offset) [min|max] "unit" default , valueTable ;
    const name = this.expectWord('the signal type name').text;
    this.expectPunct(':', 'after the signal type name');
    const length = this.expectUnsigned('the length');
    this.expectPunct('@', 'before the byte order');
    const order = this.expectUnsigned('the byte order');
    const sign = this.lexer.peek();
    if (!this.isPunct(sign, '+') && !this.isPunct(sign, '-')) this.fail(sign, "'+' or '-'");
    this.lexer.next();
    this.expectPunct('(', 'before the scale');
    const scale = this.expectNumber('the scale');
    this.expectPunct(',', 'between scale and offset');
    const offset = this.expectNumber('the offset');
    this.expectPunct(')', 'after the offset');
    this.expectPunct('[', 'before the minimum');
    const minimum = this.expectNumber('the minimum');
    this.expectPunct('|', 'between minimum and maximum');
    const maximum = this.expectNumber('the maximum');
    this.expectPunct(']', 'after the maximum');
    const unit = this.expectString('the unit string').text;
    const defaultValue = this.expectNumber('the default value');
    let valueTable = '';
    if (this.acceptPunct(',')) {
      const token = this.lexer.peek();
      if (token.kind === 'word') valueTable = this.lexer.next().text;
    }
    if (!this.endStatement(keyword)) return;
    this.doc.signalTypes.push({
      name,
      length,
      byteOrder: order === 0 ? 'big_endian' : 'little_endian',
      isSigned: sign.text === '-',
      scale,
      offset,
      minimum,
      maximum,
      unit,
      defaultValue,
      valueTable,
    });
  }
}
