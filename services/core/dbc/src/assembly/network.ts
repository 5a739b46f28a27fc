/** BU_ and EV_: the nodes and environment variables, with their comments, attributes and VAL_ labels attached. */
import type { EnvironmentVariable, Node } from '../model.js';
import type { AttributeValuesByObject } from './attributes.js';
import type { ChoicesByObject } from './choices.js';
import type { Comments } from './comments.js';
import type { AssemblyContext } from './context.js';
import type { LongNames } from './long-names.js';

export function buildNodes(
  context: AssemblyContext,
  comments: Comments,
  attributes: AttributeValuesByObject,
  longNames: LongNames,
): Node[] {
  return context.doc.nodes.map((node) => ({
    name: longNames.node(node.name),
    comment: comments.nodes.get(node.name),
    attributes: attributes.nodes.get(node.name) ?? {},
  }));
}

export function buildEnvironmentVariables(
  context: AssemblyContext,
  comments: Comments,
  choices: ChoicesByObject,
): EnvironmentVariable[] {
  return context.doc.environmentVariables.map((ev) => ({
    name: ev.name,
    type: ev.type,
    minimum: ev.minimum,
    maximum: ev.maximum,
    unit: ev.unit,
    initialValue: ev.initialValue,
    id: ev.id,
    accessType: ev.accessType,
    accessNodes: ev.accessNodes,
    comment: comments.environmentVariables.get(ev.name),
    choices: choices.environmentVariables.get(ev.name) ?? new Map<string, string>(),
  }));
}
