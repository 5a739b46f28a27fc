/**
 * Attributes: BA_DEF_ / BA_DEF_REL_ declare them, BA_DEF_DEF_ gives defaults, BA_ / BA_REL_ set values. Values are
 * converted as cantools does (INT/HEX truncated, FLOAT numbers, ENUM indexes to labels) and kept per object under
 * the names as written; long names are applied later.
 */
import type { AttributeDefinition, AttributeObjectType } from '../model.js';
import type { RawTarget, RawValue } from '../parser.js';
import { getOrCreate, signalKey, type AssemblyContext, type AttributeValues } from './context.js';

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

export type AttributeDefinitions = ReadonlyMap<string, AttributeDefinition>;

/** BA_ values per object; signals are keyed by signalKey. */
export interface AttributeValuesByObject {
  readonly network: AttributeValues;
  readonly nodes: Map<string, AttributeValues>;
  readonly messages: Map<number, AttributeValues>;
  readonly signals: Map<string, AttributeValues>;
}

/** BA_DEF_ (+ REL) with their BA_DEF_DEF_ defaults; a default for an undeclared attribute is a warning. */
export function loadAttributeDefinitions(context: AssemblyContext): AttributeDefinitions {
  const defaults = new Map<string, RawValue>();
  for (const entry of context.doc.attributeDefaults) defaults.set(entry.name, entry.value);
  const definitions = new Map<string, AttributeDefinition>();
  for (const raw of context.doc.attributeDefinitions) {
    const valueType = raw.valueType as AttributeDefinition['valueType'];
    const numeric = valueType !== 'ENUM' && valueType !== 'STRING';
    const base = {
      name: raw.name,
      objectType: OBJECT_TYPES[raw.objectType],
      valueType,
      minimum: numeric ? raw.numbers[0] : undefined,
      maximum: numeric ? raw.numbers[1] : undefined,
      choices: valueType === 'ENUM' ? raw.strings : undefined,
    };
    const rawDefault = defaults.get(raw.name);
    definitions.set(raw.name, {
      ...base,
      defaultValue: rawDefault === undefined ? undefined : convertAttribute(base, rawDefault),
    });
  }
  for (const [name, value] of defaults) {
    if (!definitions.has(name)) {
      context.warn('DBC_UNDEFINED_ATTRIBUTE', `Default for attribute "${name}", which no BA_DEF_ declares.`, value.pos);
    }
  }
  return definitions;
}

/** BA_ / BA_REL_ values, per object kind. Node-relation values are checked but not kept (the model has no place). */
export function collectAttributeValues(
  context: AssemblyContext,
  definitions: AttributeDefinitions,
): AttributeValuesByObject {
  const values: AttributeValuesByObject = { network: {}, nodes: new Map(), messages: new Map(), signals: new Map() };
  const newValues = (): AttributeValues => ({});
  for (const attribute of context.doc.attributes) {
    const { target, name, pos } = attribute;
    const value = attributeValue(context, definitions, name, attribute.value, target.kind);
    switch (target.kind) {
      case 'network':
        values.network[name] = value;
        break;
      case 'node':
        if (context.isKnownNode(target.node, 'BA_', pos))
          getOrCreate(values.nodes, target.node, newValues)[name] = value;
        break;
      case 'message':
        if (context.isKnownMessage(target.rawId, 'BA_', pos)) {
          getOrCreate(values.messages, target.rawId, newValues)[name] = value;
        }
        break;
      case 'signal':
        if (context.isKnownSignal(target.rawId, target.signal, 'BA_', pos)) {
          getOrCreate(values.signals, signalKey(target.rawId, target.signal), newValues)[name] = value;
        }
        break;
      case 'environment_variable':
        context.isKnownEnvironmentVariable(target.name, 'BA_', pos);
        break;
      default:
        // Node-relation attributes (BA_REL_) describe a node's view of a signal; the model does not carry them.
        break;
    }
  }
  return values;
}

function attributeValue(
  context: AssemblyContext,
  definitions: AttributeDefinitions,
  name: string,
  value: RawValue,
  targetKind: RawTarget['kind'],
): string | number {
  const definition = definitions.get(name);
  if (definition === undefined) {
    context.warn('DBC_UNDEFINED_ATTRIBUTE', `Attribute "${name}" is set but no BA_DEF_ declares it.`, value.pos);
    return value.kind === 'number' ? Number(value.text) : value.text;
  }
  if (definition.objectType !== OBJECT_TYPES[targetKind]) {
    context.warn(
      'DBC_ATTRIBUTE_OBJECT',
      `Attribute "${name}" is declared for ${definition.objectType} objects ` +
        `but set on a ${OBJECT_TYPES[targetKind]}.`,
      value.pos,
    );
  }
  return convertAttribute(definition, value);
}

/** A message/network attribute's value: the one set, else the definition's default. */
export function effectiveAttribute(
  definitions: AttributeDefinitions,
  values: AttributeValues,
  name: string,
): string | number | undefined {
  return values[name] ?? definitions.get(name)?.defaultValue;
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
