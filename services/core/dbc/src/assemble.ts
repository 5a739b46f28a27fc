/**
 * DbcDocument (statements as written) → Database (the model). One step per DBC section, each in src/assembly/, over
 * a shared AssemblyContext (the document, the diagnostics, the indexes references are checked against). The order
 * matters only where a step needs another's result: attribute definitions before values, every section before the
 * messages that collect them. Semantics follow cantools where files are ambiguous, because the conformance cases
 * are cantools' decodes; each such rule says so where it is applied.
 */
import type { DiagnosticLog } from './diagnostics.js';
import type { Database } from './model.js';
import type { DbcDocument } from './parser.js';
import { collectAttributeValues, effectiveAttribute, loadAttributeDefinitions } from './assembly/attributes.js';
import { collectChoices, collectValueTables } from './assembly/choices.js';
import { collectComments } from './assembly/comments.js';
import { AssemblyContext, type AssembleOptions } from './assembly/context.js';
import { LongNames } from './assembly/long-names.js';
import { collectExtraSenders, collectSignalGroups, collectValueTypes } from './assembly/message-details.js';
import { buildMessages, indexMessages } from './assembly/messages.js';
import { collectMultiplexerValues } from './assembly/multiplexing.js';
import { buildEnvironmentVariables, buildNodes } from './assembly/network.js';

export type { AssembleOptions } from './assembly/context.js';

export function assembleDatabase(doc: DbcDocument, diagnostics: DiagnosticLog, options: AssembleOptions): Database {
  const context = new AssemblyContext(doc, diagnostics, options);
  const definitions = loadAttributeDefinitions(context); // BA_DEF_, BA_DEF_REL_, BA_DEF_DEF_
  indexMessages(context); // BO_ ids, for every reference below
  const attributes = collectAttributeValues(context, definitions); // BA_, BA_REL_
  const comments = collectComments(context); // CM_
  const choices = collectChoices(context); // VAL_
  const valueTables = collectValueTables(context); // VAL_TABLE_
  const longNames = new LongNames(attributes);
  const messages = buildMessages(context, {
    definitions,
    attributes,
    comments,
    choices,
    valueTypes: collectValueTypes(context), // SIG_VALTYPE_
    extraSenders: collectExtraSenders(context), // BO_TX_BU_
    signalGroups: collectSignalGroups(context), // SIG_GROUP_
    multiplexerValues: collectMultiplexerValues(context), // SG_MUL_VAL_
    longNames,
  });
  const busType = effectiveAttribute(definitions, attributes.network, 'BusType');
  return {
    version: doc.version ?? '',
    nodes: buildNodes(context, comments, attributes, longNames),
    messages,
    attributes: attributes.network,
    busType: typeof busType === 'string' ? busType : undefined,
    comment: comments.network.length > 0 ? comments.network.join('') : undefined,
    valueTables,
    attributeDefinitions: [...definitions.values()],
    environmentVariables: buildEnvironmentVariables(context, comments, choices),
    signalTypes: doc.signalTypes,
  };
}
