// A strict little XML parser, enough to prove the SVG writer's output well-formed: one root,
// tags nested and closed in order, quoted attributes without duplicates, and no raw `<` or stray
// `&` in text or attribute values. It throws with the offset of the first fault.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /[A-Za-z_:][\w.:-]*/y;
const SPACE = /\s*/y;
const ENTITY = /&(?:#\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);/y;

function decode(raw: string, at: number): string {
  for (let i = raw.indexOf('&'); i !== -1; i = raw.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(raw)) throw new Error(`stray & at ${at + i}`);
  }
  if (raw.includes('<')) throw new Error(`raw < at ${at + raw.indexOf('<')}`);
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!,
  );
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at ${i}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  const skipSpace = () => {
    SPACE.lastIndex = i;
    SPACE.test(source);
    i = SPACE.lastIndex;
  };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(source);
    if (!m) fail('expected a name');
    i = NAME.lastIndex;
    return m![0];
  };

  if (source.startsWith('<?xml')) {
    const end = source.indexOf('?>');
    if (end === -1) fail('unclosed prolog');
    i = end + 2;
  }
  skipSpace();

  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < source.length) {
    if (source[i] !== '<') {
      const end = source.indexOf('<', i);
      const raw = source.slice(i, end === -1 ? source.length : end);
      if (stack.length === 0) {
        if (raw.trim() !== '') fail('text outside the root');
      } else stack.at(-1)!.text += decode(raw, i);
      i += raw.length;
      continue;
    }
    if (source.startsWith('</', i)) {
      i += 2;
      const closing = name();
      skipSpace();
      if (source[i] !== '>') fail('expected >');
      i++;
      const open = stack.pop();
      if (open?.name !== closing) fail(`</${closing}> closes <${open?.name}>`);
      continue;
    }
    i++;
    const element: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    if (stack.length === 0) {
      if (root) fail('a second root');
      root = element;
    } else stack.at(-1)!.children.push(element);
    for (;;) {
      const before = i;
      skipSpace();
      if (source.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (source[i] === '>') {
        i++;
        stack.push(element);
        break;
      }
      if (i === before) fail('expected space before an attribute');
      const attr = name();
      if (attr in element.attrs) fail(`duplicate attribute ${attr}`);
      if (source[i] !== '=' || (source[i + 1] !== '"' && source[i + 1] !== "'")) fail('expected ="');
      const quote = source[i + 1]!;
      const end = source.indexOf(quote, i + 2);
      if (end === -1) fail('unclosed attribute value');
      element.attrs[attr] = decode(source.slice(i + 2, end), i + 2);
      i = end + 1;
    }
  }
  if (stack.length > 0) fail(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) fail('no root element');
  return root!;
}

/** Every element under (and including) `root`, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}
