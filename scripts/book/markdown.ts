// The book's markdown renderer: markdown-it with GitHub's heading ids, highlight.js at build time,
// wide tables that scroll, and every relative link handed to the book to map onto its pages.
// The link test parses the READMEs with this same instance, so an anchor it accepts is one the book has.

import { slug } from 'github-slugger';
import hljs from 'highlight.js';
import markdownit, { type Env, type MarkdownIt, type Token } from 'markdown-it';
import anchor from 'markdown-it-anchor';
import { renderDiagram } from './diagrams.ts';

/** What the renderer needs to know about the page it renders; passed as markdown-it's env. */
export interface PageEnv extends Env {
  /** The markdown file, absolute: relative links and code markers are resolved from its folder. */
  source: string;
  /** Maps a link as written in the markdown (`../05-tcp-chat/README.md#x`) to the book's href. */
  href(link: string): string;
  /** Maps an include marker's FILE#REGION to the book's href of those lines in the source page. */
  codeSource(file: string, region: string): string;
}

/** `<!-- code: server.ts#listen -->`, the include marker of scripts/regions.ts. */
export const CODE_MARKER = /^<!-- code: (\S+?)#([\w-]+) -->\s*$/;

/** The highlight.js language of a fence's info string or a file's extension; plaintext when unknown. */
export function languageOf(name: string): string {
  const language = hljs.getLanguage(name.toLowerCase());
  return language ? name.toLowerCase() : 'plaintext';
}

/** Highlighted HTML of `code` (the markup is escaped by highlight.js). */
export function highlight(code: string, language: string): string {
  return hljs.highlight(code, { language: languageOf(language), ignoreIllegals: true }).value;
}

export function createMarkdown(): MarkdownIt {
  const md = markdownit({
    html: true, // the READMEs' include markers are HTML comments; the fence rule below replaces them
    linkify: false,
    typographer: false,
    highlight: (code, lang) =>
      `<pre><code class="hljs language-${languageOf(lang || 'plaintext')}">${highlight(code, lang || 'plaintext')}</code></pre>`,
  });
  // github-slugger makes the ids GitHub makes, so `#the-client-connect-send-half-close` works both in
  // a repository browser and in the book; markdown-it-anchor numbers repeated headings the same way (-1, -2).
  md.use(anchor, { slugify: (text: string) => slug(text), permalink: anchor.permalink.headerLink() });

  const rules = md.renderer.rules;
  // A ```mermaid block (a lesson's sequence diagram, scripts/diagrams.ts) is drawn as SVG here, at build time.
  const renderFence = rules.fence!;
  rules.fence = (tokens, idx, options, env, self) =>
    tokens[idx]!.info.trim() === 'mermaid'
      ? `<figure class="diagram">\n${renderDiagram(tokens[idx]!.content)}\n</figure>\n`
      : renderFence(tokens, idx, options, env, self);
  rules.table_open = () => '<div class="table-scroll">\n<table>\n';
  rules.table_close = () => '</table>\n</div>\n';

  const renderLink = rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  rules.link_open = (tokens, idx, options, env, self) => {
    rewrite(tokens[idx]!, 'href', env as PageEnv);
    return renderLink(tokens, idx, options, env, self);
  };
  const renderImage = rules.image!;
  rules.image = (tokens, idx, options, env, self) => {
    rewrite(tokens[idx]!, 'src', env as PageEnv);
    return renderImage(tokens, idx, options, env, self);
  };
  // A line break inside a Chinese paragraph is no space: a browser would show one between two characters.
  rules.softbreak = (tokens, idx, options) => {
    const around = `${tokens[idx - 1]?.content.slice(-1) ?? ''}${tokens[idx + 1]?.content.charAt(0) ?? ''}`;
    return /^[\p{Script=Han}\u3000-\u303f\uff00-\uffef]{2}$/u.test(around) ? '' : options.breaks ? '<br>\n' : '\n';
  };
  // An include marker becomes a caption naming the file, linked to those lines of its source page.
  const renderHtml = rules.html_block!;
  rules.html_block = (tokens, idx, options, env, self) => {
    const marker = CODE_MARKER.exec(tokens[idx]!.content);
    if (!marker) return renderHtml(tokens, idx, options, env, self);
    const [, file, region] = marker;
    return `<p class="code-source">from <a href="${md.utils.escapeHtml((env as PageEnv).codeSource(file!, region!))}"><code>${md.utils.escapeHtml(file!)}</code></a></p>\n`;
  };
  return md;
}

function rewrite(token: Token, attribute: 'href' | 'src', env: PageEnv): void {
  const value = token.attrGet(attribute);
  if (value !== null) token.attrSet(attribute, env.href(String(value)));
}

/** A relative link: no scheme (http:, mailto:), not protocol-relative, not only a fragment. */
export function isRelativeLink(link: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(link) && !link.startsWith('//') && !link.startsWith('#');
}

/** `path#fragment` as [path, fragment]; the fragment is undefined when there is no `#`. */
export function splitFragment(link: string): [string, string | undefined] {
  const at = link.indexOf('#');
  return at < 0 ? [link, undefined] : [link.slice(0, at), link.slice(at + 1)];
}

export interface MarkdownLink {
  link: string;
  line: number; // 1-based line of the block that holds it
}

/** Every link and image in a markdown text, found by markdown-it (so text in code is not a link). */
export function markdownLinks(md: MarkdownIt, markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const block of md.parse(markdown, {})) {
    for (const token of block.children ?? []) {
      const link = token.type === 'link_open' ? token.attrGet('href') : token.type === 'image' ? token.attrGet('src') : null;
      if (link !== null) links.push({ link: String(link), line: (block.map?.[0] ?? 0) + 1 });
    }
  }
  return links;
}

/** The ids the book gives the headings of a markdown text. */
export function headingIds(md: MarkdownIt, markdown: string): Set<string> {
  return new Set(
    md
      .parse(markdown, {})
      .filter((t) => t.type === 'heading_open')
      .map((t) => String(t.attrGet('id') ?? '')),
  );
}
