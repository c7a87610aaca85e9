// The book's search, as both sides use it: the build indexes every section with these options
// (scripts/book/search.ts), and the same file, bundled by esbuild into book.js, tokenises what the reader
// types in the browser. One tokenizer for both sides, so a query's terms are the index's terms.
//
// Chinese is written without spaces, so splitting at spaces finds no words in it. Two things together:
// Intl.Segmenter with the zh locale cuts a run of Han characters into dictionary words (半关闭 → 半 + 关闭),
// and every pair of neighbouring characters (bigram) of the run is a term too (半关 关闭), so a query
// still matches when the segmenter cuts it differently alone than in a sentence, or is missing.

import type { Options, SearchOptions } from 'minisearch';

/** A section of a page in the index: its heading and text, and what a result shows and links to. */
export interface SearchDocument {
  id: string; // page#anchor
  page: string; // relative to the book's folder
  anchor: string; // the heading's id
  title: string; // the heading's text
  text: string; // the section's text, up to the next heading (code blocks left out)
  lesson: string; // the page's title
  lang: 'en' | 'zh-CN';
  excerpt: string;
}

/** Han, kana, hangul: scripts written without spaces between words. */
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
/** A word without the segmenter: letters and digits. */
const WORD = /[\p{L}\p{N}_]+/gu;
/** Words joined by a hyphen or a dot (half-close, socket.end): also a term, so the exact phrase ranks first. */
const COMPOUND = /[\p{L}\p{N}_]+(?:[-.][\p{L}\p{N}_]+)+/gu;

let segmenter: Intl.Segmenter | null | undefined;

function wordSegmenter(): Intl.Segmenter | null {
  if (segmenter === undefined) {
    try {
      segmenter = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter('zh', { granularity: 'word' }) : null;
    } catch {
      segmenter = null;
    }
  }
  return segmenter;
}

/** The terms of a text: its words (segmented), its hyphenated compounds, and the bigrams of its CJK runs. */
export function tokenize(text: string): string[] {
  const terms: string[] = [];
  const words = wordSegmenter();
  if (words) {
    for (const part of words.segment(text)) if (part.isWordLike) terms.push(part.segment);
  } else {
    for (const [word] of text.matchAll(WORD)) {
      // Without a segmenter a CJK run is one "word": its single characters stand for its words.
      terms.push(...(CJK_RUN.test(word) ? [...word] : [word]));
      CJK_RUN.lastIndex = 0;
    }
  }
  for (const [compound] of text.matchAll(COMPOUND)) terms.push(compound);
  for (const [run] of text.matchAll(CJK_RUN)) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length; i++) terms.push(chars[i]! + chars[i + 1]!);
  }
  return terms;
}

export const searchOptions: SearchOptions = {
  boost: { title: 3 },
  // A Latin word typed in part still finds the whole one (serv → server); CJK terms are already short.
  prefix: (term) => term.length >= 3 && !/\p{Script=Han}/u.test(term),
  combineWith: 'OR',
};

/** MiniSearch's options: the same object builds the index and loads it in the browser. */
export const indexOptions: Options<SearchDocument> = {
  idField: 'id',
  fields: ['title', 'text'],
  storeFields: ['page', 'anchor', 'title', 'lesson', 'lang', 'excerpt'],
  tokenize,
  processTerm: (term) => term.toLowerCase(),
  searchOptions,
};
