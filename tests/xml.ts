// A small, strict XML reader for the tests (of the JUnit format): elements, attributes, text and
// the five entities plus character references. It rejects what XML 1.0 forbids and a careless
// writer produces: a raw `<` or `&` in text or an attribute, a mismatched or unclosed tag, a
// repeated attribute, characters XML cannot hold. No DTDs, comments or CDATA (the writer emits none).

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function parseXml(source: string): XmlElement {
  if (NOT_XML.test(source)) throw new Error(`a character XML 1.0 cannot hold, at ${source.search(NOT_XML)}`);
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`${what} at offset ${at}: ${JSON.stringify(source.slice(at, at + 40))}`);
  };
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*/.exec(source);
  if (!declaration) fail('no <?xml version="1.0" encoding="UTF-8"?> declaration');
  at = declaration![0].length;

  const decode = (raw: string): string => {
    if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) fail('a raw < or & in text or an attribute');
    return raw.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, entity: string) => {
      const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (named[entity]) return named[entity];
      return String.fromCodePoint(entity.startsWith('#x') ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1)));
    });
  };

  const element = (): XmlElement => {
    if (source[at] !== '<') fail('expected <');
    at++;
    const name = NAME.exec(source.slice(at))?.[0] ?? fail('expected an element name');
    at += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const space = /^\s*/.exec(source.slice(at))![0];
      at += space.length;
      if (source.startsWith('/>', at)) {
        at += 2;
        return { name, attributes, children: [], text: '' };
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      if (space.length === 0) fail('expected a space before an attribute');
      const attribute = /^([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(source.slice(at)) ?? fail('expected name="value"');
      if (attribute[1]! in attributes) fail(`attribute ${attribute[1]} repeated`);
      // Parsers normalise a literal tab or line break in an attribute to a space: a writer must use &#9; / &#10;.
      if (/[\t\n\r]/.test(attribute[2]!)) fail(`a raw line break or tab in attribute ${attribute[1]}`);
      attributes[attribute[1]!] = decode(attribute[2]!);
      at += attribute[0].length;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const next = source.indexOf('<', at);
      if (next < 0) fail(`<${name}> is not closed`);
      text += decode(source.slice(at, next));
      at = next;
      if (source.startsWith('</', at)) {
        const close = `</${name}>`;
        if (!source.startsWith(close, at)) fail(`expected ${close}`);
        at += close.length;
        return { name, attributes, children, text };
      }
      children.push(element());
    }
  };

  const root = element();
  if (source.slice(at).trim() !== '') fail('content after the root element');
  return root;
}
