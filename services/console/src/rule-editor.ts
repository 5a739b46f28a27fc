/**
 * The rule editor (CodeMirror 6, loaded only on the rules screen): the rule as JSON, with the expressions inside it
 * highlighted in the rule language, completion of signal names, aliases, functions and value labels from the
 * catalogs, and the server's diagnostics drawn at their positions (placed by domain/rule-problems.ts).
 */
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput } from '@codemirror/language';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, RangeSetBuilder } from '@codemirror/state';
import {
  Decoration,
  EditorView,
  keymap,
  lineNumbers,
  ViewPlugin,
  highlightActiveLine,
  type DecorationSet,
  type ViewUpdate,
} from '@codemirror/view';
import { completionAt, FUNCTIONS, rankNames, tokenize } from './domain/expression.js';
import { isExpressionPath, stringSpans } from './domain/json-spans.js';
import type { PlacedProblem } from './domain/rule-problems.js';

/** What completion offers: names (aliases, unique signal names, qualified names) and each name's value labels. */
export interface Vocabulary {
  readonly names: readonly string[];
  readonly labels: (signal: string) => readonly string[];
}

const mark = (cls: string) => Decoration.mark({ class: cls });
const MARKS = {
  keyword: mark('tok-keyword'),
  number: mark('tok-number'),
  duration: mark('tok-number'),
  string: mark('tok-label'),
  signal: mark('tok-signal'),
  function: mark('tok-function'),
  operator: mark('tok-operator'),
  comment: mark('tok-comment'),
  key: mark('tok-key'),
};

function decorate(doc: string): DecorationSet {
  const ranges: { from: number; to: number; deco: Decoration }[] = [];
  for (const m of doc.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g))
    ranges.push({ from: m.index, to: m.index + m[1]!.length + 2, deco: MARKS.key });
  for (const [path, span] of stringSpans(doc)) {
    if (!isExpressionPath(path)) continue;
    for (const t of tokenize(span.value)) {
      const from = span.offsets[t.from];
      const to = span.offsets[Math.min(t.to, span.offsets.length - 1)];
      if (from !== undefined && to !== undefined && to > from) ranges.push({ from, to, deco: MARKS[t.kind] });
    }
  }
  ranges.sort((a, b) => a.from - b.from || a.to - b.to);
  const builder = new RangeSetBuilder<Decoration>();
  let last = -1;
  for (const r of ranges) {
    if (r.from < last) continue;
    builder.add(r.from, r.to, r.deco);
    last = r.to;
  }
  return builder.finish();
}

const highlighter = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = decorate(view.state.doc.toString());
    }
    update(update: ViewUpdate) {
      if (update.docChanged) this.decorations = decorate(update.state.doc.toString());
    }
  },
  { decorations: (v) => v.decorations },
);

function completions(vocabulary: () => Vocabulary) {
  return (context: CompletionContext): CompletionResult | null => {
    const doc = context.state.doc.toString();
    for (const [path, span] of stringSpans(doc)) {
      if (!isExpressionPath(path) || context.pos <= span.from || context.pos >= span.to) continue;
      const index = span.offsets.indexOf(context.pos);
      if (index < 0) return null;
      const at = completionAt(span.value, index);
      if (at.kind === 'none') return null;
      if (at.kind === 'signal' && at.prefix.length === 0 && !context.explicit) return null;
      const from = span.offsets[at.from] ?? context.pos;
      const v = vocabulary();
      if (at.kind === 'label')
        return {
          from,
          options: v.labels(at.signal).map((label) => ({ label, type: 'enum', detail: 'value label' })),
          validFor: /^[^"\\]*$/,
        };
      return {
        from,
        options: [
          ...rankNames(v.names, at.prefix, 80).map((name) => ({
            label: name.includes('/') ? `\`${name}\`` : name,
            type: 'variable',
          })),
          ...FUNCTIONS.filter((f) => f.startsWith(at.prefix)).map((f) => ({
            label: f,
            type: 'function',
            apply: `${f}(`,
          })),
        ],
        filter: false,
      };
    }
    return null;
  };
}

export interface RuleEditor {
  readonly view: EditorView;
  setProblems(problems: readonly PlacedProblem[]): void;
  setText(text: string): void;
  destroy(): void;
}

export function createRuleEditor(
  parent: HTMLElement,
  options: { text: string; readOnly: boolean; onChange: (text: string) => void; vocabulary: () => Vocabulary },
): RuleEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.text,
      extensions: [
        lineNumbers(),
        history(),
        bracketMatching(),
        indentOnInput(),
        highlightActiveLine(),
        highlighter,
        lintGutter(),
        autocompletion({ override: [completions(options.vocabulary)], activateOnTyping: true }),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorState.readOnly.of(options.readOnly),
        EditorView.contentAttributes.of({ 'aria-label': 'Rule definition (JSON)' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) options.onChange(u.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    view,
    setProblems(problems) {
      const length = view.state.doc.length;
      const diagnostics: Diagnostic[] = problems.map((p) => ({
        from: Math.min(p.from, length),
        to: Math.min(Math.max(p.to, p.from), length),
        severity: p.severity,
        message: p.message,
        actions:
          p.suggestion === null
            ? []
            : [
                {
                  name: `Use ${p.suggestion}`,
                  apply: (v, from, to) => v.dispatch({ changes: { from, to, insert: p.suggestion! } }),
                },
              ],
      }));
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    destroy: () => view.destroy(),
  };
}
