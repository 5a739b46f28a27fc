/**
 * Long names: CANdb++ truncates names to 32 characters in the statements and keeps the full name in the
 * System{Node,Message,Signal}LongSymbol attributes. The model carries the long name wherever one is set.
 */
import type { AttributeValuesByObject } from './attributes.js';
import { signalKey, type AttributeValues } from './context.js';

function longName(attributes: AttributeValues | undefined, attribute: string, name: string): string {
  const value = attributes?.[attribute];
  return typeof value === 'string' && value !== '' ? value : name;
}

export class LongNames {
  constructor(private readonly attributes: AttributeValuesByObject) {}

  node(name: string): string {
    return longName(this.attributes.nodes.get(name), 'SystemNodeLongSymbol', name);
  }

  message(rawId: number, name: string): string {
    return longName(this.attributes.messages.get(rawId), 'SystemMessageLongSymbol', name);
  }

  signal(rawId: number, name: string): string {
    return longName(this.attributes.signals.get(signalKey(rawId, name)), 'SystemSignalLongSymbol', name);
  }
}
