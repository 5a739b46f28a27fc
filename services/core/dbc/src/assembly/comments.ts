/** CM_: comments on the network, nodes, messages, signals and environment variables. */
import { signalKey, type AssemblyContext } from './context.js';

export interface Comments {
  /** Network comments in file order (several are concatenated, as CANdb++ does). */
  readonly network: string[];
  readonly nodes: Map<string, string>;
  readonly messages: Map<number, string>;
  /** Keyed by signalKey. */
  readonly signals: Map<string, string>;
  readonly environmentVariables: Map<string, string>;
}

/**
 * The last comment per object wins. A comment on an unknown node or environment variable is kept (with a warning):
 * it is attached by name and harms nothing; one on an unknown message or signal is dropped.
 */
export function collectComments(context: AssemblyContext): Comments {
  const comments: Comments = {
    network: [],
    nodes: new Map(),
    messages: new Map(),
    signals: new Map(),
    environmentVariables: new Map(),
  };
  for (const { target, text, pos } of context.doc.comments) {
    switch (target.kind) {
      case 'network':
        comments.network.push(text);
        break;
      case 'node':
        context.isKnownNode(target.node, 'CM_', pos);
        comments.nodes.set(target.node, text);
        break;
      case 'message':
        if (context.isKnownMessage(target.rawId, 'CM_', pos)) comments.messages.set(target.rawId, text);
        break;
      case 'signal':
        if (context.isKnownSignal(target.rawId, target.signal, 'CM_', pos)) {
          comments.signals.set(signalKey(target.rawId, target.signal), text);
        }
        break;
      case 'environment_variable':
        context.isKnownEnvironmentVariable(target.name, 'CM_', pos);
        comments.environmentVariables.set(target.name, text);
        break;
      default:
        break;
    }
  }
  return comments;
}
