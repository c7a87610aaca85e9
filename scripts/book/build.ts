// Builds the course book: an index, one page per lesson (from loadLessons(), so a new lesson needs no
// change here), in English and, where a README.zh-CN.md exists, in Chinese; a one-page print view of
// each language; and a highlighted page for each repository file a page links to. Everything a page
// uses is in the book's folder, so it opens from file:// with no network.
//
//   index.html, index.zh-CN.html      the course, how to use it, the lessons, the glossary (zh: from README.zh-CN.md)
//   NN-slug.html, NN-slug.zh-CN.html  a lesson, from lessons/NN-slug/README.md and README.zh-CN.md
//   print.html, print.zh-CN.html      every lesson in order on one page, for paper and `npm run book -- --pdf`
//   files/<repository path>.html      a source file (the lesson's programs, and any file a page links to)
//   files/<repository path>/index.html  a folder a page links to
//   book.css                          the book's stylesheet, its dark palette and highlight.js's themes
//   book.js                           the theme button, copy buttons, search box, language switcher (client.js)
//   minisearch.js, search-index.js    the search library (copied from node_modules) and the prebuilt index

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import type { MarkdownIt } from 'markdown-it';
import { type Lesson, loadLessons, REPO_ROOT } from '../manifest.ts';
import { expandIncludes } from '../regions.ts';
import { sections, translationOf } from '../translation.ts';
import glossary from './glossary.json' with { type: 'json' };
import { createMarkdown, highlight, isRelativeLink, languageOf, type PageEnv, splitFragment } from './markdown.ts';
import { type PageSection, pageSections, searchIndexScript } from './search.ts';
import type { SearchDocument } from './search-options.ts';

const README = path.join(REPO_ROOT, 'README.md');
/** The parts of README.md the index shows, by the start of their heading: what the course is and how to use it. */
const INDEX_SECTIONS = ['quick start', 'course map', 'studying a lesson', 'running one program', 'checking your work'];
/** Never shown in a folder page: generated, installed or private. */
const SKIPPED = new Set(['.git', 'node_modules', 'dist', 'work']);
const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  '.ts': 'typescript',
  '.py': 'python',
  '.sh': 'bash',
  '.json': 'json',
  '.md': 'markdown',
};
/** The stamp line of a translation (scripts/translation.ts): not part of the text. */
const STAMP = /^<!-- translation of [^\n]*-->\n/;

export type Language = 'en' | 'zh-CN';

/** The book's own words, in each language. `client` is what book.js shows (buttons, search). */
const UI = {
  en: {
    book: 'socket-lessons · course book',
    title: 'socket-lessons: the course book',
    lessonsInOrder: 'The lessons, in order',
    lessonsIntro: 'Each lesson ports programs of the notes; the note and its section are under each title.',
    glossary: 'Glossary',
    glossaryIntro:
      "The notes' Chinese terms, their English, and what stands for them in Node. The last column links the lessons that use the term.",
    glossaryColumns: ['中文 (pinyin)', 'English', 'Node', 'lessons'],
    note: 'note',
    portsNote: 'ports note',
    lessonFiles: "The lesson's files",
    itsTests: 'its tests',
    lessons: 'Lessons',
    home: 'The course',
    printView: 'The whole book on one page (print, PDF)',
    printIntro: 'Every lesson of the course, in order, on one page: to print, or to save as PDF (`npm run book -- --pdf`).',
    contents: 'Contents',
    inOtherLanguage: '',
    search: 'Search · 搜索',
    menu: 'Contents',
    switchTo: '中文',
    switchTitle: 'This page in Chinese (中文版)',
    missing: '中文版尚未写好',
    missingTitle: 'This page has no Chinese edition yet',
    client: {
      darkTheme: 'Dark',
      lightTheme: 'Light',
      copy: 'Copy',
      copied: 'Copied',
      selected: 'Selected: press Ctrl+C',
      noResults: 'Nothing found',
    },
  },
  'zh-CN': {
    book: 'socket-lessons · 课程书',
    title: 'socket-lessons：课程书',
    lessonsInOrder: '课程顺序',
    lessonsIntro: '每一课移植笔记中的程序；标题下列出所移植的笔记和章节。',
    glossary: '术语表',
    glossaryIntro: '笔记中的中文术语、对应的英文，以及 Node 中对应的东西。最后一列链接到用到该术语的课。',
    glossaryColumns: ['中文（拼音）', '英文', 'Node', '课'],
    note: '笔记',
    portsNote: '移植笔记',
    lessonFiles: '本课的文件',
    itsTests: '测试',
    lessons: '课程',
    home: '课程简介',
    printView: '全书单页版（打印、PDF）',
    printIntro: '全部课程按顺序排在一页上：用来打印，或保存为 PDF（`npm run book -- --pdf --lang zh`）。尚未翻译的课以英文显示。',
    contents: '目录',
    inOtherLanguage: '（英文）',
    search: '搜索 · Search',
    menu: '目录',
    switchTo: 'English',
    switchTitle: 'This page in English',
    missing: 'English',
    missingTitle: '',
    client: {
      darkTheme: '深色',
      lightTheme: '浅色',
      copy: '复制',
      copied: '已复制',
      selected: '已选中：按 Ctrl+C 复制',
      noResults: '没有找到',
    },
  },
} as const;

export interface BuiltBook {
  dir: string;
  /** Every page written, relative to dir. */
  pages: string[];
  /** What the book could not resolve: a link to nowhere, a missing code region, a missing README section. */
  problems: string[];
}

/** A page rendered from markdown, before it is laid out: layout needs every page's sections (switcher, sidebar). */
interface Rendered {
  page: string;
  lang: Language;
  title: string;
  body: string;
  sections: PageSection[];
  lesson?: Lesson;
  pager?: string;
  /** The same page in the other language, when it exists. */
  other?: string;
}

export function buildBook(dir: string): BuiltBook {
  const lessons = loadLessons();
  const md = createMarkdown();
  const problems: string[] = [];
  const pages: string[] = [];
  const pending = new Map<string, 'file' | 'folder' | 'copy'>(); // repository paths the pages link to
  const chineseIndex = existsSync(translationOf(README));

  // The folder is emptied first, so refuse one that holds anything but an earlier book (`--out .`).
  if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(path.join(dir, 'book.css'))) {
    throw new Error(`${dir} is not empty and holds no earlier book: give a new or empty folder`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const write = (page: string, html: string): void => {
    mkdirSync(path.dirname(path.join(dir, page)), { recursive: true });
    writeFileSync(path.join(dir, page), html);
    pages.push(page);
  };

  /** The book page of a repository path (absolute), registering a file or folder page when needed. */
  const pageOf = (target: string, kind: 'link' | 'image'): string => {
    const rel = path.relative(REPO_ROOT, target).split(path.sep).join('/');
    if (target === README) return 'index.html';
    if (target === translationOf(README)) return 'index.zh-CN.html';
    for (const lesson of lessons) {
      if (target === lesson.dir || target === path.join(lesson.dir, 'README.md')) return lessonPage(lesson);
      if (target === translationOf(path.join(lesson.dir, 'README.md'))) return lessonPageIn(lesson, 'zh-CN');
    }
    if (statSync(target).isDirectory()) {
      pending.set(rel, 'folder');
      return rel === '' ? 'files/index.html' : `files/${rel}/index.html`;
    }
    // Images, and files that are not text, are copied as they are; text files get a highlighted page.
    const copy = kind === 'image' || readFileSync(target).includes(0);
    pending.set(rel, copy ? 'copy' : 'file');
    return copy ? `files/${rel}` : `files/${rel}.html`;
  };

  /** markdown-it's env for a page: how its links and code captions map onto the book. */
  const envFor = (source: string, page: string): PageEnv => ({
    source,
    href: (link) => {
      if (!isRelativeLink(link)) return link;
      const [rawPath = '', fragment] = splitFragment(link);
      const target = path.resolve(path.dirname(source), decodeURI(rawPath));
      if (path.relative(REPO_ROOT, target).startsWith('..') || !existsSync(target)) {
        problems.push(`${path.relative(REPO_ROOT, source)}: link '${link}' leads to no file of the repository`);
        return link;
      }
      // An image is fetched by the page, so it cannot be a page of its own.
      const kind = /\.(png|jpe?g|gif|svg|webp)$/i.test(rawPath) ? 'image' : 'link';
      return relativeHref(page, pageOf(target, kind)) + (fragment === undefined ? '' : `#${fragment}`);
    },
    codeSource: (file, region) => {
      const target = path.resolve(path.dirname(source), file);
      if (!existsSync(target)) return '#';
      const line = readFileSync(target, 'utf8')
        .split('\n')
        .findIndex((l) => l.trim() === `// #region ${region}`);
      return `${relativeHref(page, pageOf(target, 'link'))}#L${line + 2}`; // the region's first line of code
    },
  });

  // Render every page first: a page's switcher and sidebar need the sections of the others.
  const rendered: Rendered[] = [];
  const add = (page: Omit<Rendered, 'sections'>): void => {
    rendered.push({ ...page, sections: pageSections(page.body) });
  };
  add({
    page: 'index.html',
    lang: 'en',
    title: UI.en.title,
    body: indexBody(md, lessons, 'en', envFor(README, 'index.html'), problems),
    ...(chineseIndex ? { other: 'index.zh-CN.html' } : {}),
  });
  if (chineseIndex) {
    const source = translationOf(README);
    add({
      page: 'index.zh-CN.html',
      lang: 'zh-CN',
      title: UI['zh-CN'].title,
      body: indexBody(md, lessons, 'zh-CN', envFor(source, 'index.zh-CN.html'), problems),
      other: 'index.html',
    });
  }
  for (const lang of ['en', 'zh-CN'] as const) {
    lessons.forEach((lesson, i) => {
      const source = lang === 'en' ? path.join(lesson.dir, 'README.md') : translationOf(path.join(lesson.dir, 'README.md'));
      if (lang === 'zh-CN' && !existsSync(source)) return;
      const page = lessonPageIn(lesson, lang);
      const other = lang === 'en' ? (isTranslated(lesson) ? lessonPageIn(lesson, 'zh-CN') : undefined) : lessonPage(lesson);
      add({
        page,
        lang,
        lesson,
        title: labelIn(lesson, lang),
        body: lessonBody(md, lesson, lang, envFor(source, page), problems),
        pager: pager(lessons[i - 1], lessons[i + 1], lang),
        ...(other ? { other } : {}),
      });
    });
  }

  const byPage = new Map(rendered.map((r) => [r.page, r]));
  for (const r of rendered) {
    const other = r.other ? byPage.get(r.other) : undefined;
    if (other && other.sections.length !== r.sections.length) {
      problems.push(
        `${r.page} has ${r.sections.length} headings and ${other.page} ${other.sections.length}: the language switcher lands on the wrong section`,
      );
    }
    const switcher: Switcher = other
      ? { href: other.page, ids: r.sections.map((s) => s.id), otherIds: other.sections.map((s) => s.id) }
      : 'missing';
    write(r.page, layout({ ...r, lessons, chineseIndex, switcher }));
  }

  for (const lang of ['en', 'zh-CN'] as const) {
    if (lang === 'zh-CN' && !lessons.some(isTranslated)) continue;
    const page = printPage(lang);
    const included = lessons.map((lesson) => byPage.get(lessonPageIn(lesson, lang)) ?? byPage.get(lessonPage(lesson))!);
    write(page, layout({ page, lang, title: UI[lang].title, body: printBody(included, lang), lessons, chineseIndex }));
  }

  // Pages for the files and folders linked so far; a folder page links its entries, so keep going.
  for (const [rel, kind] of pending) {
    const target = path.join(REPO_ROOT, rel);
    if (kind === 'copy') {
      mkdirSync(path.dirname(path.join(dir, 'files', rel)), { recursive: true });
      cpSync(target, path.join(dir, 'files', rel));
      pages.push(`files/${rel}`);
    } else if (kind === 'file') {
      write(`files/${rel}.html`, sourcePage(rel, lessons, chineseIndex));
    } else {
      const page = rel === '' ? 'files/index.html' : `files/${rel}/index.html`;
      write(
        page,
        folderPage(rel, page, lessons, chineseIndex, (entry) => relativeHref(page, pageOf(path.join(target, entry), 'link'))),
      );
    }
  }

  writeFileSync(path.join(dir, 'book.css'), stylesheet());
  writeFileSync(path.join(dir, 'book.js'), clientScript());
  // The package's exports name no browser build, so find it beside its main file (dist/cjs/index.cjs).
  const minisearch = path.resolve(path.dirname(createRequire(import.meta.url).resolve('minisearch')), '../umd/index.js');
  cpSync(minisearch, path.join(dir, 'minisearch.js'));
  writeFileSync(path.join(dir, 'search-index.js'), searchIndexScript(rendered.flatMap(searchDocuments)));
  return { dir, pages, problems };
}

/** The English page of a lesson. */
export function lessonPage(lesson: Lesson): string {
  return lessonPageIn(lesson, 'en');
}

export function lessonPageIn(lesson: Lesson, lang: Language): string {
  return lang === 'en' ? `${lesson.id}.html` : `${lesson.id}.${lang}.html`;
}

export function printPage(lang: Language): string {
  return lang === 'en' ? 'print.html' : `print.${lang}.html`;
}

export function lessonLabel(lesson: Lesson): string {
  return `${lesson.id.slice(0, 2)} · ${lesson.title}`;
}

/** A lesson's title in a language: the Chinese README's own title, else the English label. */
export function labelIn(lesson: Lesson, lang: Language): string {
  if (lang === 'en' || !isTranslated(lesson)) return lessonLabel(lesson);
  const title = sections(readFileSync(translationOf(path.join(lesson.dir, 'README.md')), 'utf8')).find((s) => s.level === 1)?.title;
  return title ?? lessonLabel(lesson);
}

export function isTranslated(lesson: Lesson): boolean {
  return existsSync(translationOf(path.join(lesson.dir, 'README.md')));
}

/** The lesson's page in `lang` when it exists there, else its English page. */
function lessonHref(lesson: Lesson, lang: Language): string {
  return lang === 'en' || !isTranslated(lesson) ? lessonPage(lesson) : lessonPageIn(lesson, lang);
}

function indexBody(md: MarkdownIt, lessons: Lesson[], lang: Language, env: PageEnv, problems: string[]): string {
  const ui = UI[lang];
  // Cut README.md at its level-2 headings (found by markdown-it, so a `##` inside code is not one) and
  // choose the sections by their English titles; a translation has the same sections in the same order.
  const cut = (readme: string): { intro: string; sections: string[] } => {
    const lines = readme.split('\n');
    const starts = md
      .parse(readme, {})
      .filter((t) => t.type === 'heading_open' && t.tag === 'h2')
      .map((t) => t.map![0]);
    return {
      intro: lines
        .slice(0, starts[0] ?? lines.length)
        .filter((line) => !line.startsWith('# '))
        .join('\n'),
      sections: starts.map((start, i) => lines.slice(start, starts[i + 1] ?? lines.length).join('\n')),
    };
  };
  const english = cut(readFileSync(README, 'utf8'));
  const chosen = INDEX_SECTIONS.map((name) => {
    const at = english.sections.findIndex((s) =>
      s
        .replace(/^##\s+/, '')
        .toLowerCase()
        .startsWith(name),
    );
    if (at < 0) problems.push(`README.md: no section '## ${name}…' for the book's index`);
    return at;
  });
  const own = lang === 'en' ? english : cut(readFileSync(env.source, 'utf8').replace(STAMP, ''));
  if (own.sections.length !== english.sections.length) {
    problems.push(
      `${path.relative(REPO_ROOT, env.source)}: ${own.sections.length} sections where README.md has ${english.sections.length}`,
    );
  }
  const about = md.render([own.intro, ...chosen.map((at) => own.sections[at] ?? '')].join('\n\n'), env);

  const lessonList = lessons
    .map((lesson) => {
      const ports = lesson.ports.map((p) => `<li>${ui.note} <code>${esc(p.note)}</code>, ${esc(p.section)}</li>`).join('');
      return `<li><a href="${lessonHref(lesson, lang)}">${esc(labelIn(lesson, lang))}</a><p>${esc(lesson.summary)}</p><ul class="ports">${ports}</ul></li>`;
    })
    .join('\n');
  return `<h1 id="top">${esc(ui.title)}</h1>
${about}
<h2 id="lessons-in-order">${esc(ui.lessonsInOrder)}</h2>
<p>${esc(ui.lessonsIntro)}</p>
<ol class="lessons">
${lessonList}
</ol>
<h2 id="glossary">${esc(ui.glossary)}</h2>
<p>${esc(ui.glossaryIntro)}</p>
${glossaryTable(md, lessons, lang)}`;
}

function glossaryTable(md: MarkdownIt, lessons: Lesson[], lang: Language): string {
  // The English READMEs name the Chinese terms too, so they say which lessons use a term in either language.
  const texts = lessons.map((lesson) => readIfExists(path.join(lesson.dir, 'README.md')) ?? JSON.stringify(lesson));
  const rows = glossary.map((term) => {
    const usedIn = lessons.filter((_, i) => texts[i]!.includes(term.zh));
    const links = usedIn.map((l) => `<a href="${lessonHref(l, lang)}" title="${esc(labelIn(l, lang))}">${l.id.slice(0, 2)}</a>`).join(' ');
    const node = term.node === '' ? '—' : md.renderInline(term.node);
    return `<tr><td class="term"><span lang="zh-CN">${esc(term.zh)}</span><br><span class="pinyin">${esc(term.pinyin)}</span></td><td lang="en">${esc(term.en)}</td><td>${node}</td><td>${links}</td></tr>`;
  });
  return `<div class="table-scroll">
<table class="glossary">
<thead><tr>${UI[lang].glossaryColumns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</div>`;
}

function lessonBody(md: MarkdownIt, lesson: Lesson, lang: Language, env: PageEnv, problems: string[]): string {
  const ui = UI[lang];
  const readme = readIfExists(env.source);
  let body: string;
  if (readme === undefined) {
    // A lesson whose README is still being written is in the book all the same, from its manifest.
    body = `<h1 id="top">${esc(lessonLabel(lesson))}</h1>
<p>${esc(lesson.summary)}</p>
<p class="notice">This lesson's README is not written yet: its programs and its exercise are below.</p>
<ul class="ports">${lesson.ports.map((p) => `<li>${ui.portsNote} <code>${esc(p.note)}</code>, ${esc(p.section)}</li>`).join('')}</ul>
<h2 id="exercise">Exercise: ${esc(lesson.exercise.title)}</h2>
<p>${esc(lesson.exercise.summary)}</p>`;
  } else {
    // The code blocks are taken from the source regions themselves, so the book shows the tested code.
    const expanded = expandIncludes(env.source, readme.replace(STAMP, ''));
    problems.push(...expanded.problems.map((p) => path.relative(REPO_ROOT, p)));
    body = md.render(expanded.markdown, env);
  }
  const files = [...new Set([...lesson.programs.map((p) => p.file), `${lesson.id}.test.ts`])].filter((f) =>
    existsSync(path.join(lesson.dir, f)),
  );
  const summaries = new Map(lesson.programs.map((p) => [p.file, p.summary]));
  const fileList = files
    .map(
      (file) =>
        `<li><a href="${esc(env.href(file))}"><code>${esc(file)}</code></a>${summaries.has(file) ? `: ${esc(summaries.get(file)!)}` : `: ${ui.itsTests}`}</li>`,
    )
    .join('\n');
  return `${body}\n<section class="lesson-files">
<h2 id="lesson-files">${esc(ui.lessonFiles)}</h2>
<ul>
${fileList}
</ul>
</section>`;
}

function pager(prev: Lesson | undefined, next: Lesson | undefined, lang: Language): string {
  return [
    prev ? `<a rel="prev" href="${lessonHref(prev, lang)}">← ${esc(labelIn(prev, lang))}</a>` : '<span></span>',
    next ? `<a rel="next" href="${lessonHref(next, lang)}">${esc(labelIn(next, lang))} →</a>` : '<span></span>',
  ].join('\n');
}

/** Every lesson on one page. Ids get the lesson's prefix (`04-tcp-server--errata`), so each stays unique,
 *  and a link to another lesson of the page becomes a link within it. */
function printBody(included: Rendered[], lang: Language): string {
  const ui = UI[lang];
  const inPage = new Map(included.map((r) => [r.page, r.lesson!.id]));
  const contents = included
    .map((r) => `<li><a href="#${r.lesson!.id}">${esc(r.title)}</a>${r.lang === lang ? '' : ` ${esc(ui.inOtherLanguage)}`}</li>`)
    .join('\n');
  const lessonsHtml = included.map((r) => {
    const id = r.lesson!.id;
    const body = r.body
      .replace(/\sid="([^"]*)"/g, (_, anchor: string) => ` id="${id}--${anchor}"`)
      .replace(/\shref="([^"]*)"/g, (whole, href: string) => {
        const [target, fragment] = splitFragment(href);
        const lesson = target === '' ? id : inPage.get(decodeURI(target));
        if (lesson === undefined) return whole;
        return ` href="#${fragment === undefined ? lesson : `${lesson}--${fragment}`}"`;
      });
    return `<section class="print-lesson" id="${id}"${r.lang === lang ? '' : ' lang="en"'}>\n${body}\n</section>`;
  });
  return `<h1 id="top">${esc(ui.title)}</h1>
<p>${esc(ui.printIntro).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>
<nav class="print-contents" aria-label="${esc(ui.contents)}">
<h2 id="contents">${esc(ui.contents)}</h2>
<ol>
${contents}
</ol>
</nav>
${lessonsHtml.join('\n')}`;
}

/** The search's documents of a page: one per section, so a hit lands on the section. */
function searchDocuments(r: Rendered): SearchDocument[] {
  return r.sections.map((s) => ({
    id: `${r.page}#${s.id}`,
    page: r.page,
    anchor: s.id,
    title: s.title,
    text: s.text,
    lesson: r.title,
    lang: r.lang,
    excerpt: [...s.text].slice(0, 140).join('') + (s.text.length > 140 ? '…' : ''),
  }));
}

function sourcePage(rel: string, lessons: Lesson[], chineseIndex: boolean): string {
  const page = `files/${rel}.html`;
  const text = readFileSync(path.join(REPO_ROOT, rel), 'utf8');
  const language = LANGUAGE_BY_EXTENSION[path.extname(rel)] ?? languageOf(path.extname(rel).slice(1));
  const count = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  // Line numbers in their own column, each an anchor (#L12), so the code stays one highlighted block.
  const gutter = Array.from({ length: count }, (_, i) => `<a id="L${i + 1}" href="#L${i + 1}">${i + 1}</a>`).join('\n');
  const lesson = lessons.find((l) => rel.startsWith(`lessons/${l.id}/`));
  const back = lesson ? `<p>Part of lesson <a href="${relativeHref(page, lessonPage(lesson))}">${esc(lessonLabel(lesson))}</a>.</p>` : '';
  const body = `<h1 class="file-title"><code>${esc(rel)}</code></h1>
${back}
<div class="source"><pre class="gutter">${gutter}</pre><pre><code class="hljs language-${language}">${highlight(text, language)}</code></pre></div>`;
  return layout({ page, lang: 'en', title: rel, body, lessons, chineseIndex, ...(lesson ? { lesson } : {}) });
}

function folderPage(rel: string, page: string, lessons: Lesson[], chineseIndex: boolean, hrefOf: (entry: string) => string): string {
  const entries = readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })
    .filter((e) => !SKIPPED.has(e.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const items = entries.map(
    (e) => `<li><a href="${esc(hrefOf(e.name))}"><code>${esc(e.name)}${e.isDirectory() ? '/' : ''}</code></a></li>`,
  );
  const body = `<h1 class="file-title"><code>${esc(rel === '' ? 'socket-lessons/' : `${rel}/`)}</code></h1>\n<ul class="folder">\n${items.join('\n')}\n</ul>`;
  return layout({ page, lang: 'en', title: `${rel}/`, body, lessons, chineseIndex });
}

/** The language switcher of a page: the other language's page and both pages' heading ids, in order. */
type Switcher = { href: string; ids: string[]; otherIds: string[] } | 'missing';

interface LayoutOptions {
  page: string;
  lang: Language;
  title: string;
  body: string;
  lessons: Lesson[];
  chineseIndex: boolean;
  lesson?: Lesson;
  pager?: string;
  sections?: PageSection[];
  switcher?: Switcher;
}

function layout(options: LayoutOptions): string {
  const { page, lang, title, body, pager: pagerHtml, switcher } = options;
  const ui = UI[lang];
  const to = (target: string): string => relativeHref(page, target);
  const home = lang === 'zh-CN' && options.chineseIndex ? 'index.zh-CN.html' : 'index.html';
  const nav = pagerHtml ? `<nav class="pager" aria-label="${esc(ui.lessons)}">\n${pagerHtml}\n</nav>` : '';
  let switch_ = '';
  if (switcher === 'missing') {
    switch_ = `<span class="lang-switch missing" lang="${lang === 'en' ? 'zh-CN' : 'en'}" title="${esc(ui.missingTitle)}">${esc(ui.missing)}</span>`;
  } else if (switcher) {
    const other = lang === 'en' ? 'zh-CN' : 'en';
    switch_ = `<a class="lang-switch" href="${to(switcher.href)}" hreflang="${other}" lang="${other}" title="${esc(ui.switchTitle)}">${esc(ui.switchTo)}</a>`;
  }
  // What book.js needs to know about the page; `<` escaped so that no text ends the script early.
  const data = {
    lang,
    ui: ui.client,
    ...(switcher && switcher !== 'missing' ? { ids: switcher.ids, other: { href: to(switcher.href), ids: switcher.otherIds } } : {}),
  };
  const root = to('index.html').replace(/index\.html$/, '');
  return `<!doctype html>
<html lang="${lang}" data-root="${root}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<script>try{var t=localStorage.getItem('book-theme');if(t==='dark'||t==='light')document.documentElement.dataset.theme=t}catch(e){}</script>
<link rel="stylesheet" href="${to('book.css')}">
<script src="${to('minisearch.js')}" defer></script>
<script src="${to('search-index.js')}" defer></script>
<script src="${to('book.js')}" defer></script>
</head>
<body>
<header class="top">
<button type="button" class="menu" aria-expanded="false" aria-controls="sidebar">☰ ${esc(ui.menu)}</button>
<a class="home" href="${to(home)}">${esc(ui.book)}</a>
<div class="search" role="search">
<input type="search" class="search-input" placeholder="${esc(ui.search)}" aria-label="${esc(ui.search)}" autocomplete="off">
<ol class="search-results" hidden></ol>
</div>
${switch_}
<button type="button" class="theme-toggle" aria-pressed="false">${esc(ui.client.darkTheme)}</button>
</header>
<div class="layout">
${sidebar(options, to, home)}
<div class="content">
${nav}
<main>
${body}
</main>
${nav}
</div>
</div>
<script type="application/json" id="book-page">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
</body>
</html>
`;
}

/** The lessons, with the current page's sections under the current one (or under the course, on the index). */
function sidebar(options: LayoutOptions, to: (target: string) => string, home: string): string {
  const { page, lang, lessons, sections: own = [] } = options;
  const ui = UI[lang];
  const sectionList = (): string => {
    const items = own.filter((s) => s.level === 2).map((s) => `<li><a href="#${esc(s.id)}">${esc(s.title)}</a></li>`);
    return items.length > 0 ? `\n<ol class="sidebar-sections">\n${items.join('\n')}\n</ol>` : '';
  };
  const current = (target: string): string => (target === page ? ' aria-current="page"' : '');
  const onIndex = page === home;
  const lessonItems = lessons.map((lesson) => {
    const target = lessonHref(lesson, lang);
    const here = target === page;
    const untranslated = lang !== 'en' && !isTranslated(lesson) ? ` <span class="untranslated">${esc(ui.inOtherLanguage)}</span>` : '';
    return `<li><a href="${to(target)}"${current(target)}>${esc(labelIn(lesson, lang))}</a>${untranslated}${here ? sectionList() : ''}</li>`;
  });
  return `<nav class="sidebar" id="sidebar" aria-label="${esc(ui.lessons)}">
<p class="sidebar-home"><a href="${to(home)}"${current(home)}>${esc(ui.home)}</a></p>${onIndex ? sectionList() : ''}
<p class="sidebar-title">${esc(ui.lessons)}</p>
<ol class="sidebar-lessons">
${lessonItems.join('\n')}
</ol>
<p class="sidebar-print"><a href="${to(printPage(lang === 'zh-CN' && lessons.some(isTranslated) ? 'zh-CN' : 'en'))}"${current(printPage(lang))}>${esc(ui.printView)}</a></p>
</nav>`;
}

/** The book's stylesheet, its dark palette, then highlight.js's GitHub themes, copied from the package: no CDN.
 *  The dark rules are written once (dark.css and github-dark.css) and scoped twice: to the reader's choice
 *  (`data-theme="dark"`, set by the theme button) and to the system setting when no choice was made; on
 *  screen only, so paper stays light. */
function stylesheet(): string {
  const require = createRequire(import.meta.url);
  const light = readFileSync(require.resolve('highlight.js/styles/github.css'), 'utf8');
  const dark =
    readFileSync(new URL('dark.css', import.meta.url), 'utf8') +
    readFileSync(require.resolve('highlight.js/styles/github-dark.css'), 'utf8');
  return `${readFileSync(new URL('book.css', import.meta.url), 'utf8')}
/* highlight.js: styles/github.css */
${light}
/* The dark theme: scripts/book/dark.css and highlight.js's styles/github-dark.css, scoped by build.ts */
@media screen {
${scoped(dark, ':root[data-theme="dark"]')}
}
@media screen and (prefers-color-scheme: dark) {
${scoped(dark, ':root:not([data-theme="light"])')}
}
`;
}

/** CSS rules (no at-rules) with each selector put under `scope`; `:root` itself becomes the scope. */
function scoped(css: string, scope: string): string {
  return [...css.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/([^{}]+)\{([^{}]*)\}/g)]
    .map(([, selectors, rules]) => {
      const list = selectors!
        .split(',')
        .map((s) => s.trim())
        .map((s) => (s === ':root' ? scope : `${scope} ${s}`));
      return `${list.join(', ')} {${rules}}`;
    })
    .join('\n');
}

/** book.js: client.js with the search's options and tokenizer, bundled by esbuild into one classic script. */
function clientScript(): string {
  const result = buildSync({
    entryPoints: [fileURLToPath(new URL('client.js', import.meta.url))],
    bundle: true,
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
  });
  return `// The course book's script: scripts/book/client.js and search-options.ts, bundled by esbuild.\n${result.outputFiles[0]!.text}`;
}

function relativeHref(fromPage: string, toPage: string): string {
  const href = path.posix.relative(path.posix.dirname(fromPage), toPage) || path.posix.basename(toPage);
  return encodeURI(href);
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
