/**
 * The DBC data model: Database → Message → Signal as plain, immutable data (cantools style). Parsers produce it,
 * the decoder compiler consumes it; nothing here does I/O.
 */

export type ByteOrder = 'little_endian' /* Intel, @1 */ | 'big_endian'; /* Motorola, @0 */
export type ValueType = 'integer' | 'float32' | 'float64';

/** How a signal takes part in multiplexing. */
export interface Multiplexing {
  /** True when this signal is a multiplexer switch (M, or mNM for a nested switch). */
  readonly isMultiplexer: boolean;
  /**
   * The multiplexer this signal depends on and the raw switch values for which it is present; undefined for a
   * signal that is always present. Simple `mN` gives one value; SG_MUL_VAL_ gives ranges.
   */
  readonly parent?: { readonly multiplexer: string; readonly ranges: readonly (readonly [number, number])[] };
}

export interface Signal {
  readonly name: string;
  /** Start bit as written in the DBC (for big_endian: the MSB in DBC's sawtooth numbering). */
  readonly startBit: number;
  readonly length: number;
  readonly byteOrder: ByteOrder;
  readonly isSigned: boolean;
  readonly valueType: ValueType;
  readonly scale: number;
  readonly offset: number;
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
  readonly unit: string;
  readonly receivers: readonly string[];
  /** VAL_ table: raw value (as a decimal string, 64-bit safe) → label. */
  readonly choices: ReadonlyMap<string, string>;
  readonly comment: string | undefined;
  readonly multiplexing: Multiplexing;
  /**
   * BA_ attributes set on the signal (GenSigStartValue, ...), after type conversion: INT/HEX/FLOAT as numbers,
   * STRING as text, ENUM as the label. Defaults (BA_DEF_DEF_) are not copied here; see Database.attributeDefinitions.
   */
  readonly attributes: Readonly<Record<string, string | number>>;
  /** GenSigStartValue: the raw value a receiver assumes before the first frame, when the file sets one. */
  readonly initialRawValue?: number;
  /** 1-based line of the SG_ definition, for diagnostics that point back into the file. */
  readonly line?: number;
}

export interface Message {
  /** Frame id without flag bits: 0..0x7FF for standard, 0..0x1FFFFFFF for extended. */
  readonly frameId: number;
  readonly isExtended: boolean;
  readonly isFd: boolean;
  readonly name: string;
  /** DLC in bytes (0..64). */
  readonly length: number;
  readonly senders: readonly string[];
  readonly signals: readonly Signal[];
  readonly comment: string | undefined;
  /** GenMsgCycleTime in ms when the file declares it. */
  readonly cycleTimeMs: number | undefined;
  /** BA_ attributes set on the message, converted as for Signal.attributes. */
  readonly attributes: Readonly<Record<string, string | number>>;
  /** SIG_GROUP_ definitions of the message. */
  readonly signalGroups?: readonly SignalGroup[];
  /** 1-based line of the BO_ definition. */
  readonly line?: number;
}

export interface SignalGroup {
  readonly name: string;
  readonly repetitions: number;
  readonly signalNames: readonly string[];
}

export type AttributeObjectType =
  | 'network'
  | 'node'
  | 'message'
  | 'signal'
  | 'environment_variable'
  | 'node_signal' /* BA_DEF_REL_ BU_SG_REL_ */
  | 'node_message' /* BU_BO_REL_ */
  | 'node_environment_variable';

/** A BA_DEF_ / BA_DEF_REL_ declaration with its BA_DEF_DEF_ default. */
export interface AttributeDefinition {
  readonly name: string;
  readonly objectType: AttributeObjectType;
  readonly valueType: 'INT' | 'HEX' | 'FLOAT' | 'STRING' | 'ENUM';
  readonly minimum: number | undefined;
  readonly maximum: number | undefined;
  /** ENUM labels, index = the number BA_ writes. */
  readonly choices: readonly string[] | undefined;
  readonly defaultValue: string | number | undefined;
}

export interface EnvironmentVariable {
  readonly name: string;
  /** 0 integer, 1 float, 2 string. */
  readonly type: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly unit: string;
  readonly initialValue: number;
  readonly id: number;
  readonly accessType: string;
  readonly accessNodes: readonly string[];
  readonly comment: string | undefined;
  readonly choices: ReadonlyMap<string, string>;
}

/** SGTYPE_: a reusable signal type (rare; kept so nothing a file declares is silently lost). */
export interface SignalType {
  readonly name: string;
  readonly length: number;
  readonly byteOrder: ByteOrder;
  readonly isSigned: boolean;
  readonly scale: number;
  readonly offset: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly unit: string;
  readonly defaultValue: number;
  readonly valueTable: string;
}

export interface Node {
  readonly name: string;
  readonly comment: string | undefined;
  readonly attributes?: Readonly<Record<string, string | number>>;
}

export interface Database {
  readonly version: string;
  readonly nodes: readonly Node[];
  readonly messages: readonly Message[];
  /** Network-level BA_ attributes. */
  readonly attributes: Readonly<Record<string, string | number>>;
  /** BusType attribute (set or default), e.g. "CAN" or "CAN FD". */
  readonly busType: string | undefined;
  /** Network comment (`CM_ "...";`, several are concatenated as CANdb++ does). */
  readonly comment?: string | undefined;
  /** VAL_TABLE_ definitions: name → raw value (decimal string) → label. */
  readonly valueTables?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly attributeDefinitions?: readonly AttributeDefinition[];
  readonly environmentVariables?: readonly EnvironmentVariable[];
  readonly signalTypes?: readonly SignalType[];
  /** How the file's bytes were read. */
  readonly encoding?: 'utf-8' | 'cp1252';
}

export type DbcDiagnosticSeverity = 'error' | 'warning';

/** A problem found while loading a DBC; errors make the load fail, warnings are returned with the database. */
export interface DbcDiagnostic {
  readonly severity: DbcDiagnosticSeverity;
  /** Stable code, e.g. DBC_SYNTAX, DBC_SIGNAL_OUT_OF_RANGE, DBC_OVERLAPPING_SIGNALS, DBC_UNSUPPORTED_SECTION. */
  readonly code: string;
  readonly message: string;
  readonly line: number;
  readonly column: number;
  /**
   * Set on a summary diagnostic only: how many diagnostics of this severity and code were not listed (past the
   * first 100 of each kind); line and column are those of the first one omitted.
   */
  readonly omitted?: number;
}
