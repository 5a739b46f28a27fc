/**
 * DBC model → DBC text in the section order Vector CANdb++ writes, so the generated files open in the usual tools
 * and diff line by line. Extended multiplexing (a nested switch, or a page selected by ranges) is written as
 * SG_MUL_VAL_ for every multiplexed signal of that message, because the `mN` shorthand cannot name the parent.
 */
import type { Database, Message, Signal } from '@telltale/dbc';
import { tidy } from './layout.js';

/** Vector's VFrameFormat enum: index 14 and 15 mark CAN FD frames. */
const FRAME_FORMATS = [
  'StandardCAN',
  'ExtendedCAN',
  ...Array.from({ length: 12 }, () => 'reserved'),
  'StandardCAN_FD',
  'ExtendedCAN_FD',
];

const NEW_SYMBOLS = [
  'NS_DESC_',
  'CM_',
  'BA_DEF_',
  'BA_',
  'VAL_',
  'CAT_DEF_',
  'CAT_',
  'FILTER',
  'BA_DEF_DEF_',
  'EV_DATA_',
  'ENVVAR_DATA_',
  'SGTYPE_',
  'SGTYPE_VAL_',
  'BA_DEF_SGTYPE_',
  'BA_SGTYPE_',
  'SIG_TYPE_REF_',
  'VAL_TABLE_',
  'SIG_GROUP_',
  'SIG_VALTYPE_',
  'SIGTYPE_VALTYPE_',
  'BO_TX_BU_',
  'BA_DEF_REL_',
  'BA_REL_',
  'BA_DEF_DEF_REL_',
  'BU_SG_REL_',
  'BU_EV_REL_',
  'BU_BO_REL_',
  'SG_MUL_VAL_',
];

/** Plain decimal notation: DBC readers differ on exponents, and 1e-8 is not how a matrix writes a factor. */
function number(value: number): string {
  const text = String(tidy(value));
  const match = /^-?(\d)(?:\.(\d+))?e-(\d+)$/.exec(text);
  if (!match) return text;
  return tidy(value).toFixed(Number(match[3]) + (match[2]?.length ?? 0));
}
const quoted = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** The id as written after BO_: extended frames carry bit 31. */
export const dbcFrameId = (message: Message): number =>
  message.isExtended ? (message.frameId | 0x80000000) >>> 0 : message.frameId;

function usesExtendedMultiplexing(message: Message): boolean {
  const top = message.signals.find((s) => s.multiplexing.isMultiplexer && !s.multiplexing.parent);
  return message.signals.some((s) => {
    const parent = s.multiplexing.parent;
    return (
      parent !== undefined &&
      (parent.multiplexer !== top?.name || parent.ranges.some(([lo, hi]) => lo !== hi) || parent.ranges.length > 1)
    );
  });
}

function muxIndicator(signal: Signal): string {
  const { isMultiplexer, parent } = signal.multiplexing;
  const page = parent ? `m${parent.ranges[0]?.[0] ?? 0}` : '';
  if (isMultiplexer) return parent ? ` ${page}M` : ' M';
  return parent ? ` ${page}` : '';
}

function signalLine(signal: Signal): string {
  const order = signal.byteOrder === 'little_endian' ? '1' : '0';
  const sign = signal.isSigned ? '-' : '+';
  const receivers = signal.receivers.length > 0 ? signal.receivers.join(',') : 'Vector__XXX';
  return (
    ` SG_ ${signal.name}${muxIndicator(signal)} : ${signal.startBit}|${signal.length}@${order}${sign}` +
    ` (${number(signal.scale)},${number(signal.offset)})` +
    ` [${number(signal.minimum ?? 0)}|${number(signal.maximum ?? 0)}]` +
    ` ${quoted(signal.unit)} ${receivers}`
  );
}

export function writeDbc(database: Database, fileComment: string): string {
  const out: string[] = [];
  out.push(`VERSION ${quoted(database.version)}`, '', '', 'NS_ :', ...NEW_SYMBOLS.map((s) => `\t${s}`), '', 'BS_:', '');
  out.push(`BU_: ${database.nodes.map((n) => n.name).join(' ')}`, '', '');

  for (const message of database.messages) {
    out.push(`BO_ ${dbcFrameId(message)} ${message.name}: ${message.length} ${message.senders[0] ?? 'Vector__XXX'}`);
    for (const signal of message.signals) out.push(signalLine(signal));
    out.push('');
  }
  out.push('');

  out.push(`CM_ ${quoted(fileComment)};`);
  for (const node of database.nodes) if (node.comment) out.push(`CM_ BU_ ${node.name} ${quoted(node.comment)};`);
  for (const message of database.messages) {
    const id = dbcFrameId(message);
    if (message.comment) out.push(`CM_ BO_ ${id} ${quoted(message.comment)};`);
    for (const signal of message.signals) {
      if (signal.comment) out.push(`CM_ SG_ ${id} ${signal.name} ${quoted(signal.comment)};`);
    }
  }

  out.push(
    'BA_DEF_  "BusType" STRING ;',
    'BA_DEF_  "DBName" STRING ;',
    'BA_DEF_ BU_  "NodeLayerModules" STRING ;',
    'BA_DEF_ BO_  "GenMsgCycleTime" INT 0 65535;',
    'BA_DEF_ BO_  "GenMsgSendType" ENUM  "Cyclic","Event","IfActive","CyclicIfActive","NoMsgSendType";',
    `BA_DEF_ BO_  "VFrameFormat" ENUM  ${FRAME_FORMATS.map(quoted).join(',')};`,
    'BA_DEF_ SG_  "GenSigStartValue" INT 0 2147483647;',
    'BA_DEF_DEF_  "BusType" "CAN";',
    'BA_DEF_DEF_  "DBName" "";',
    'BA_DEF_DEF_  "NodeLayerModules" "";',
    'BA_DEF_DEF_  "GenMsgCycleTime" 0;',
    'BA_DEF_DEF_  "GenMsgSendType" "Cyclic";',
    'BA_DEF_DEF_  "VFrameFormat" "StandardCAN";',
    'BA_DEF_DEF_  "GenSigStartValue" 0;',
  );
  if (database.busType) out.push(`BA_ "BusType" ${quoted(database.busType)};`);
  for (const [name, value] of Object.entries(database.attributes)) {
    out.push(`BA_ ${quoted(name)} ${typeof value === 'number' ? number(value) : quoted(value)};`);
  }
  for (const message of database.messages) {
    const id = dbcFrameId(message);
    if (message.cycleTimeMs !== undefined) out.push(`BA_ "GenMsgCycleTime" BO_ ${id} ${message.cycleTimeMs};`);
    if (message.attributes.GenMsgSendType === 'Event') out.push(`BA_ "GenMsgSendType" BO_ ${id} 1;`);
    if (message.isFd) out.push(`BA_ "VFrameFormat" BO_ ${id} ${message.isExtended ? 15 : 14};`);
    else if (message.isExtended) out.push(`BA_ "VFrameFormat" BO_ ${id} 1;`);
  }

  for (const message of database.messages) {
    for (const signal of message.signals) {
      if (signal.choices.size === 0) continue;
      const pairs = [...signal.choices].map(([raw, label]) => `${raw} ${quoted(label)}`).join(' ');
      out.push(`VAL_ ${dbcFrameId(message)} ${signal.name} ${pairs} ;`);
    }
  }

  for (const message of database.messages) {
    for (const signal of message.signals) {
      if (signal.valueType === 'integer') continue;
      out.push(`SIG_VALTYPE_ ${dbcFrameId(message)} ${signal.name} : ${signal.valueType === 'float32' ? 1 : 2};`);
    }
  }

  for (const message of database.messages) {
    if (!usesExtendedMultiplexing(message)) continue;
    for (const signal of message.signals) {
      const parent = signal.multiplexing.parent;
      if (!parent) continue;
      const ranges = parent.ranges.map(([lo, hi]) => `${lo}-${hi}`).join(', ');
      out.push(`SG_MUL_VAL_ ${dbcFrameId(message)} ${signal.name} ${parent.multiplexer} ${ranges};`);
    }
  }
  out.push('');
  return out.join('\n');
}
