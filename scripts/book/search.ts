// The sections of a rendered page (for the sidebar, the language switcher and the search), and the
// prebuilt search index the book ships as a script: a page opened from file:// cannot fetch() a JSON
// file, but it can load a <script src>.

import MiniSearch from 'minisearch';
import { indexOptions, type SearchDocument } from './search-options.ts';

export interface PageSection {
  level: number;
  id: string; // as written in the page, unescaped
  title: string; // the heading's text
  text: string; // the text up to the next heading, code blocks left out
}

const HEADING = /<h([1-6])\b[^>]*\bid="([^"]*)"[^>]*>([\s\S]*?)<\/h\1>/g;

/** Every heading of a page's HTML that has an id, in order, with the text under it. */
export function pageSections(html: string): PageSection[] {
  const matches = [...html.matchAll(HEADING)];
  return matches.map((match, i) => {
    const end = matches[i + 1]?.index ?? html.length;
    return {
      level: Number(match[1]),
      id: decode(match[2]!),
      title: plainText(match[3]!),
      text: plainText(html.slice(match.index + match[0].length, end).replace(/<pre\b[\s\S]*?<\/pre>/g, ' ')),
    };
  });
}

/** The text of some HTML: tags dropped, entities decoded, spaces collapsed. */
export function plainText(html: string): string {
  return decode(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

function decode(text: string): string {
  return text
    .replace(
      /&(lt|gt|quot|#39|#x27|nbsp);/g,
      (_, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", nbsp: ' ' })[name]!,
    )
    .replace(/&amp;/g, '&');
}

/** The script that defines BOOK_SEARCH_INDEX: MiniSearch's index of every section, loaded back with indexOptions. */
export function searchIndexScript(documents: SearchDocument[]): string {
  const index = new MiniSearch<SearchDocument>(indexOptions);
  index.addAll(documents);
  // `<` escaped so that no text of the book can end the script early.
  return `// The book's search index (scripts/book/search.ts), built with MiniSearch.\nwindow.BOOK_SEARCH_INDEX = ${JSON.stringify(index).replace(/</g, '\\u003c')};\n`;
}
