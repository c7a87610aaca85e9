// A small, strict reader of the block YAML the workflow writer emits (for tests/classroom.test.ts):
// mappings and sequences by indentation (two spaces), `# comments`, and scalars that are plain,
// 'single-quoted' or "double-quoted" (JSON escapes). Anything else (tabs, flow collections, anchors,
// multi-line scalars, a key given twice) is an error, so a writer that drifts from it is caught
// rather than read loosely.

export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
  number: number;
}

export function parseYaml(source: string): Yaml {
  const lines: Line[] = [];
  source.split('\n').forEach((raw, i) => {
    if (raw.includes('\t')) throw new Error(`line ${i + 1}: a tab`);
    const text = raw.trimEnd();
    if (text.trim() === '' || text.trim().startsWith('#')) return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trimStart(), number: i + 1 });
  });
  let at = 0;

  const block = (indent: number): Yaml => {
    const first = lines[at];
    if (!first || first.indent !== indent) throw new Error(`line ${first?.number ?? 'end'}: expected indentation ${indent}`);
    return first.text.startsWith('- ') || first.text === '-' ? sequence(indent) : mapping(indent);
  };

  const sequence = (indent: number): Yaml[] => {
    const items: Yaml[] = [];
    while (at < lines.length && lines[at]!.indent === indent && lines[at]!.text.startsWith('- ')) {
      const line = lines[at]!;
      const rest = line.text.slice(2);
      if (/^[\w.-]+:( |$)/.test(rest) || /^(['"]).*\1:( |$)/.test(rest)) {
        // "- key: value" opens a mapping whose keys sit two columns further in.
        lines[at] = { indent: indent + 2, text: rest, number: line.number };
        items.push(mapping(indent + 2));
      } else {
        at++;
        items.push(scalar(rest, line.number));
      }
    }
    return items;
  };

  const mapping = (indent: number): { [key: string]: Yaml } => {
    const result: { [key: string]: Yaml } = {};
    while (at < lines.length && lines[at]!.indent === indent && !lines[at]!.text.startsWith('- ')) {
      const line = lines[at]!;
      const match = /^([\w.-]+|'[^']*'|"(?:[^"\\]|\\.)*"):(?: (.*))?$/.exec(line.text);
      if (!match) throw new Error(`line ${line.number}: expected "key: value": ${line.text}`);
      const key = String(scalar(match[1]!, line.number));
      if (key in result) throw new Error(`line ${line.number}: key ${key} given twice`);
      at++;
      if (match[2] !== undefined && match[2] !== '') result[key] = scalar(match[2], line.number);
      else {
        const next = lines[at];
        if (!next || next.indent <= indent) throw new Error(`line ${line.number}: ${key} has no value`);
        result[key] = block(next.indent);
      }
    }
    if (at < lines.length && lines[at]!.indent > indent) throw new Error(`line ${lines[at]!.number}: unexpected indentation`);
    return result;
  };

  const scalar = (text: string, number: number): Yaml => {
    const value = text.replace(/\s+#.*$/, '');
    if (value.startsWith('"')) {
      if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new Error(`line ${number}: a double-quoted string must end its line: ${text}`);
      return JSON.parse(text) as string;
    }
    if (value.startsWith("'")) {
      if (!/^'(?:[^']|'')*'$/.test(value)) throw new Error(`line ${number}: a bad single-quoted string: ${value}`);
      return value.slice(1, -1).replaceAll("''", "'");
    }
    if (/^[[{&*!|>%@`]/.test(value) || /: |\s#/.test(value))
      throw new Error(`line ${number}: not a plain scalar this reader takes: ${value}`);
    if (/^-?\d+$/.test(value)) return Number(value);
    if (value === 'true' || value === 'false') return value === 'true';
    if (value === 'null' || value === '~') return null;
    return value;
  };

  const root = block(0);
  if (at < lines.length) throw new Error(`line ${lines[at]!.number}: content after the document`);
  return root;
}
