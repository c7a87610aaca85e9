// The book's script in the browser, bundled by esbuild with search-options.ts into book.js (a classic
// script: a page opened from file:// cannot load ES modules). It adds what a static page cannot do alone:
// the theme button, a copy button on every code block, the search box, the sidebar on a phone, and the
// language switcher's landing on the section being read. Everything it needs is in the book's folder.

import { indexOptions } from './search-options.ts';

const THEME_KEY = 'book-theme';
const page = JSON.parse(document.getElementById('book-page')?.textContent ?? '{}');
const ui = page.ui ?? {};
const root = document.documentElement.dataset.root ?? '';

setUpTheme();
setUpCopyButtons();
setUpSearch();
setUpLanguageSwitch();
setUpSidebar();

/** The button flips the theme in use (the system's until a choice is made) and remembers the choice. */
function setUpTheme() {
  const button = document.querySelector('button.theme-toggle');
  if (!button) return;
  const systemDark = window.matchMedia('(prefers-color-scheme: dark)');
  const current = () => document.documentElement.dataset.theme ?? (systemDark.matches ? 'dark' : 'light');
  const label = () => {
    const dark = current() === 'dark';
    button.textContent = dark ? ui.lightTheme : ui.darkTheme;
    button.setAttribute('aria-pressed', String(dark));
  };
  button.addEventListener('click', () => {
    const next = current() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      // Storage refused (a private window): the choice lasts for this page only.
    }
    label();
  });
  systemDark.addEventListener('change', label);
  label();
}

/** A Copy button on each code block: the clipboard API where the browser allows it, else select and copy. */
function setUpCopyButtons() {
  for (const pre of document.querySelectorAll('main pre:not(.gutter)')) {
    const code = pre.querySelector('code');
    if (!code) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy';
    button.textContent = ui.copy;
    button.addEventListener('click', () => copy(code, button));
    const box = pre.closest('.source') ?? pre;
    box.classList.add('has-copy');
    box.append(button);
  }
}

async function copy(code, button) {
  const text = code.textContent ?? '';
  let how = 'selection';
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      how = 'clipboard';
    }
  } catch {
    // file:// pages may be refused the clipboard API: fall back below.
  }
  if (how === 'selection') {
    // Select the code itself, so that it is copied by execCommand and, if that is refused too, by Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
    if (copied) how = 'execCommand';
  }
  button.dataset.copied = how;
  button.textContent = how === 'selection' ? ui.selected : ui.copied;
  setTimeout(() => {
    button.textContent = ui.copy;
  }, 2000);
}

/** The search box: the prebuilt index (search-index.js), queried with the tokenizer it was built with. */
function setUpSearch() {
  const input = document.querySelector('input.search-input');
  const list = document.querySelector('ol.search-results');
  if (!input || !list || !window.MiniSearch || !window.BOOK_SEARCH_INDEX) return;
  let index;
  const search = () => {
    index ??= window.MiniSearch.loadJS(window.BOOK_SEARCH_INDEX, indexOptions);
    const query = input.value.trim();
    list.replaceChildren();
    if (query === '') {
      list.hidden = true;
      return;
    }
    // The reader's language first among equally good hits.
    const hits = index.search(query, { boostDocument: (_id, _term, stored) => (stored?.lang === page.lang ? 1.2 : 1) }).slice(0, 20);
    for (const hit of hits) list.append(resultItem(hit));
    if (hits.length === 0) {
      const none = document.createElement('li');
      none.className = 'no-results';
      none.textContent = ui.noResults;
      list.append(none);
    }
    list.hidden = false;
  };
  input.addEventListener('input', search);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') list.querySelector('a')?.click();
    if (event.key === 'Escape') {
      input.value = '';
      search();
    }
  });
  document.addEventListener('click', (event) => {
    if (!event.target.closest?.('.search')) list.hidden = true;
  });
  input.addEventListener('focus', () => {
    if (input.value.trim() !== '') list.hidden = false;
  });
}

function resultItem(hit) {
  const item = document.createElement('li');
  const link = document.createElement('a');
  link.href = `${root}${hit.page}#${encodeURIComponent(hit.anchor)}`;
  link.lang = hit.lang;
  const title = document.createElement('span');
  title.className = 'result-title';
  title.textContent = hit.title;
  const where = document.createElement('span');
  where.className = 'result-page';
  where.textContent = `${hit.lesson} · ${hit.lang === 'en' ? 'English' : '中文'}`;
  const excerpt = document.createElement('span');
  excerpt.className = 'result-excerpt';
  excerpt.textContent = hit.excerpt;
  link.append(title, where, excerpt);
  item.append(link);
  return item;
}

/** The switcher leads to the other language's page at the section being read: the n-th heading there. */
function setUpLanguageSwitch() {
  const link = document.querySelector('a.lang-switch');
  if (!link || !page.ids || !page.other) return;
  link.addEventListener('click', () => {
    const at = currentSection();
    const target = at >= 0 ? page.other.ids[at] : undefined;
    link.href = `${page.other.href}${target ? `#${encodeURIComponent(target)}` : ''}`;
  });
}

/** The index of the heading being read: the one in the address, else the last that has scrolled past the top. */
function currentSection() {
  const hash = decodeURIComponent(window.location.hash.slice(1));
  const named = page.ids.indexOf(hash);
  if (named >= 0 && isOnScreen(document.getElementById(hash))) return named;
  let at = -1;
  page.ids.forEach((id, i) => {
    const heading = document.getElementById(id);
    if (heading && heading.getBoundingClientRect().top <= 80) at = i;
  });
  return at;
}

function isOnScreen(element) {
  if (!element) return false;
  const box = element.getBoundingClientRect();
  return box.bottom > 0 && box.top < window.innerHeight;
}

/** On a narrow screen the sidebar is a panel the menu button opens and a link closes. */
function setUpSidebar() {
  const button = document.querySelector('button.menu');
  const sidebar = document.querySelector('nav.sidebar');
  if (!button || !sidebar) return;
  button.addEventListener('click', () => {
    const open = document.body.classList.toggle('sidebar-open');
    button.setAttribute('aria-expanded', String(open));
  });
  sidebar.addEventListener('click', (event) => {
    if (event.target.closest?.('a')) document.body.classList.remove('sidebar-open');
  });
}
