// Builds the course book: an index, one page per lesson (from loadLessons(), so a new lesson needs no
// change here), and a highlighted page for each repository file a page links to. Everything a page
// uses is in the book's folder, so it opens from file:// with no network.
//
//   index.html                        the course, how to use it, the lessons, the glossary
//   NN-slug.html                      a lesson, from lessons/NN-slug/README.md
//   files/<repository path>.html      a source file (the lesson's programs, and any file a page links to)
//   files/<repository path>/index.html  a folder a page links to
//   book.css                          the book's stylesheet and highlight.js's theme

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { MarkdownIt } from 'markdown-it';
import { type Lesson, loadLessons, REPO_ROOT } from '../manifest.ts';
import { expandIncludes } from '../regions.ts';
import glossary from './glossary.json' with { type: 'json' };
import { createMarkdown, highlight, isRelativeLink, languageOf, type PageEnv, splitFragment } from './markdown.ts';

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

export interface BuiltBook {
  dir: string;
  /** Every page written, relative to dir. */
  pages: string[];
  /** What the book could not resolve: a link to nowhere, a missing code region, a missing README section. */
  problems: string[];
}

export function buildBook(dir: string): BuiltBook {
  const lessons = loadLessons();
  const md = createMarkdown();
  const problems: string[] = [];
  const pages: string[] = [];
  const pending = new Map<string, 'file' | 'folder' | 'copy'>(); // repository paths the pages link to

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
    const lesson = lessons.find((l) => target === l.dir || target === path.join(l.dir, 'README.md'));
    if (lesson) return lessonPage(lesson);
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

  write('index.html', indexPage(md, lessons, envFor(README, 'index.html'), problems));
  lessons.forEach((lesson, i) => {
    const page = lessonPage(lesson);
    write(page, lessonPageHtml(md, lesson, lessons[i - 1], lessons[i + 1], envFor(path.join(lesson.dir, 'README.md'), page), problems));
  });
  // Pages for the files and folders linked so far; a folder page links its entries, so keep going.
  for (const [rel, kind] of pending) {
    const target = path.join(REPO_ROOT, rel);
    if (kind === 'copy') {
      mkdirSync(path.dirname(path.join(dir, 'files', rel)), { recursive: true });
      cpSync(target, path.join(dir, 'files', rel));
      pages.push(`files/${rel}`);
    } else if (kind === 'file') {
      write(`files/${rel}.html`, sourcePage(rel, lessons));
    } else {
      const page = rel === '' ? 'files/index.html' : `files/${rel}/index.html`;
      write(
        page,
        folderPage(rel, page, (entry) => relativeHref(page, pageOf(path.join(target, entry), 'link'))),
      );
    }
  }
  writeFileSync(path.join(dir, 'book.css'), stylesheet());
  return { dir, pages, problems };
}

export function lessonPage(lesson: Lesson): string {
  return `${lesson.id}.html`;
}

export function lessonLabel(lesson: Lesson): string {
  return `${lesson.id.slice(0, 2)} · ${lesson.title}`;
}

function indexPage(md: MarkdownIt, lessons: Lesson[], env: PageEnv, problems: string[]): string {
  const readme = readFileSync(README, 'utf8');
  const lines = readme.split('\n');
  // Cut README.md at its level-2 headings (found by markdown-it, so a `##` inside code is not one).
  const headings = md.parse(readme, {}).filter((t) => t.type === 'heading_open' && t.tag === 'h2');
  const starts = headings.map((t) => t.map![0]);
  const sections = headings.map((t, i) => ({
    title: lines[t.map![0]]!.replace(/^##\s+/, '').toLowerCase(),
    text: lines.slice(starts[i], starts[i + 1] ?? lines.length).join('\n'),
  }));
  const intro = lines
    .slice(0, starts[0] ?? lines.length)
    .filter((line) => !line.startsWith('# '))
    .join('\n');
  const chosen = INDEX_SECTIONS.map((name) => {
    const section = sections.find((s) => s.title.startsWith(name));
    if (!section) problems.push(`README.md: no section '## ${name}…' for the book's index`);
    return section?.text ?? '';
  });
  const about = md.render([intro, ...chosen].join('\n\n'), env);

  const lessonList = lessons
    .map((lesson) => {
      const ports = lesson.ports.map((p) => `<li>note <code>${esc(p.note)}</code>, ${esc(p.section)}</li>`).join('');
      return `<li><a href="${lessonPage(lesson)}">${esc(lessonLabel(lesson))}</a><p>${esc(lesson.summary)}</p><ul class="ports">${ports}</ul></li>`;
    })
    .join('\n');
  const body = `<h1>socket-lessons: the course book</h1>
${about}
<h2 id="lessons-in-order">The lessons, in order</h2>
<p>Each lesson ports programs of the notes; the note and its section are under each title.</p>
<ol class="lessons">
${lessonList}
</ol>
<h2 id="glossary">Glossary</h2>
<p>The notes' Chinese terms, their English, and what stands for them in Node. The last column links the lessons that use the term.</p>
${glossaryTable(md, lessons)}`;
  return layout({ page: 'index.html', title: 'socket-lessons: the course book', body });
}

function glossaryTable(md: MarkdownIt, lessons: Lesson[]): string {
  const texts = lessons.map((lesson) => readIfExists(path.join(lesson.dir, 'README.md')) ?? JSON.stringify(lesson));
  const rows = glossary.map((term) => {
    const usedIn = lessons.filter((_, i) => texts[i]!.includes(term.zh));
    const links = usedIn.map((l) => `<a href="${lessonPage(l)}" title="${esc(l.title)}">${l.id.slice(0, 2)}</a>`).join(' ');
    const node = term.node === '' ? '—' : md.renderInline(term.node);
    return `<tr><td class="term"><span lang="zh-CN">${esc(term.zh)}</span><br><span class="pinyin">${esc(term.pinyin)}</span></td><td>${esc(term.en)}</td><td>${node}</td><td>${links}</td></tr>`;
  });
  return `<div class="table-scroll">
<table class="glossary">
<thead><tr><th>中文 (pinyin)</th><th>English</th><th>Node</th><th>lessons</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</div>`;
}

function lessonPageHtml(
  md: MarkdownIt,
  lesson: Lesson,
  prev: Lesson | undefined,
  next: Lesson | undefined,
  env: PageEnv,
  problems: string[],
): string {
  const readme = readIfExists(env.source);
  let body: string;
  if (readme === undefined) {
    // A lesson whose README is still being written is in the book all the same, from its manifest.
    body = `<h1>${esc(lessonLabel(lesson))}</h1>
<p>${esc(lesson.summary)}</p>
<p class="notice">This lesson's README is not written yet: its programs and its exercise are below.</p>
<ul class="ports">${lesson.ports.map((p) => `<li>ports note <code>${esc(p.note)}</code>, ${esc(p.section)}</li>`).join('')}</ul>
<h2 id="exercise">Exercise: ${esc(lesson.exercise.title)}</h2>
<p>${esc(lesson.exercise.summary)}</p>`;
  } else {
    // The code blocks are taken from the source regions themselves, so the book shows the tested code.
    const expanded = expandIncludes(env.source, readme);
    problems.push(...expanded.problems.map((p) => path.relative(REPO_ROOT, p)));
    body = md.render(expanded.markdown, env);
  }
  const page = lessonPage(lesson);
  const files = [...new Set([...lesson.programs.map((p) => p.file), `${lesson.id}.test.ts`])].filter((f) =>
    existsSync(path.join(lesson.dir, f)),
  );
  const summaries = new Map(lesson.programs.map((p) => [p.file, p.summary]));
  const fileList = files
    .map(
      (file) =>
        `<li><a href="${esc(env.href(file))}"><code>${esc(file)}</code></a>${summaries.has(file) ? `: ${esc(summaries.get(file)!)}` : ': its tests'}</li>`,
    )
    .join('\n');
  body += `\n<section class="lesson-files">
<h2>The lesson's files</h2>
<ul>
${fileList}
</ul>
</section>`;
  const pager = [
    prev ? `<a rel="prev" href="${lessonPage(prev)}">← ${esc(lessonLabel(prev))}</a>` : '<span></span>',
    next ? `<a rel="next" href="${lessonPage(next)}">${esc(lessonLabel(next))} →</a>` : '<span></span>',
  ].join('\n');
  return layout({ page, title: lessonLabel(lesson), body, pager });
}

function sourcePage(rel: string, lessons: Lesson[]): string {
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
  return layout({ page, title: rel, body });
}

function folderPage(rel: string, page: string, hrefOf: (entry: string) => string): string {
  const entries = readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })
    .filter((e) => !SKIPPED.has(e.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const items = entries.map(
    (e) => `<li><a href="${esc(hrefOf(e.name))}"><code>${esc(e.name)}${e.isDirectory() ? '/' : ''}</code></a></li>`,
  );
  const body = `<h1 class="file-title"><code>${esc(rel === '' ? 'socket-lessons/' : `${rel}/`)}</code></h1>\n<ul class="folder">\n${items.join('\n')}\n</ul>`;
  return layout({ page, title: `${rel}/`, body });
}

function layout({ page, title, body, pager }: { page: string; title: string; body: string; pager?: string }): string {
  const nav = pager ? `<nav class="pager" aria-label="lessons">\n${pager}\n</nav>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="${relativeHref(page, 'book.css')}">
</head>
<body>
<header class="top"><a href="${relativeHref(page, 'index.html')}">socket-lessons · course book</a></header>
${nav}
<main>
${body}
</main>
${nav}
</body>
</html>
`;
}

/** The book's own stylesheet, then highlight.js's GitHub theme, copied from the package: no CDN. */
function stylesheet(): string {
  const require = createRequire(import.meta.url);
  const theme = readFileSync(require.resolve('highlight.js/styles/github.css'), 'utf8');
  return `${readFileSync(new URL('book.css', import.meta.url), 'utf8')}\n/* highlight.js: styles/github.css */\n${theme}`;
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
