/** Catalog rules on a parsed bus that the DBC parser, which knows nothing of buses or fleets, cannot make. */
import type { DbcDiagnostic, Message } from '@telltale/dbc';
import type { CatalogDiagnostic } from './model.js';

/** Send types whose messages have no cycle time by design (Vector's GenMsgSendType labels). */
const EVENT_SEND_TYPES = new Set([
  'Event',
  'IfActive',
  'NoMsgSendType',
  'OnChange',
  'OnWrite',
  'OnWriteWithRepetition',
]);
/** Parser warnings a catalog cannot live with: two definitions of one frame or one signal decode only one way. */
const FATAL_IN_CATALOG = new Set(['DBC_DUPLICATE_MESSAGE', 'DBC_DUPLICATE_SIGNAL']);

export function fromDbcDiagnostic(file: string, d: DbcDiagnostic): CatalogDiagnostic {
  return {
    severity: FATAL_IN_CATALOG.has(d.code) ? 'error' : d.severity,
    code: d.code,
    message: d.message,
    file,
    line: d.line,
  };
}

export function isEventDriven(message: Message): boolean {
  const sendType = message.attributes.GenMsgSendType;
  return typeof sendType === 'string' && EVENT_SEND_TYPES.has(sendType);
}

export function checkBusMessages(
  file: string,
  bus: { readonly name: string; readonly fd: boolean },
  messages: readonly Message[],
): CatalogDiagnostic[] {
  const out: CatalogDiagnostic[] = [];
  const at = (message: Message): Pick<CatalogDiagnostic, 'file' | 'line'> =>
    message.line === undefined ? { file } : { file, line: message.line };
  for (const message of messages) {
    if (!bus.fd && (message.isFd || message.length > 8)) {
      out.push({
        severity: 'error',
        code: 'CATALOG_FD_ON_CLASSIC_BUS',
        message:
          `Message ${message.name} is a CAN FD frame (${message.length} bytes) ` +
          `but bus ${bus.name} is classic CAN.`,
        ...at(message),
      });
    }
    if (message.cycleTimeMs === undefined && !isEventDriven(message)) {
      out.push({
        severity: 'warning',
        code: 'CATALOG_MISSING_CYCLE_TIME',
        message:
          `Message ${message.name} has no GenMsgCycleTime and is not marked event-driven (GenMsgSendType); ` +
          'its signals are never stale.',
        ...at(message),
      });
    }
  }
  return out;
}
