// The language of the runner's and the grader's messages: English, or Chinese (简体中文) when the
// user asks for it. `--lang zh|en` on the command line decides; otherwise the locale does, the
// first set of LC_ALL, LC_MESSAGES and LANG, as POSIX orders them (LC_ALL=C means English even
// with LANG=zh_CN.UTF-8). Every message is in scripts/i18n/messages.ts, once, in both languages;
// a lesson's own text (title, hints ...) comes from its manifest's "zh-CN" block.
//   t('lesson.done')                   a message without values
//   t('grade.hint', { n, of, hint })   a message with values
//   localizedLesson(lesson)            the lesson with its user-facing text in the language

import type { Course, Lesson } from '../manifest.ts';
import { type Catalogue, messages } from './messages.ts';

export type Language = 'en' | 'zh';
export const LANGUAGES: readonly Language[] = ['en', 'zh'];

let chosen: Language | undefined;

/** The language the locale asks for: the first set of LC_ALL, LC_MESSAGES and LANG decides; zh* is Chinese. */
export function localeLanguage(env: NodeJS.ProcessEnv = process.env): Language {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((value) => value !== undefined && value !== '');
  return locale?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** The language of the messages: --lang when it was given (setLanguage), else the locale's. */
export function language(): Language {
  return (chosen ??= localeLanguage());
}

/** Sets the language from a --lang value; an unknown one is the command's usage error (one line, exit 2). */
export function setLanguage(value: string | undefined): void {
  if (value === undefined) return;
  if (!(LANGUAGES as readonly string[]).includes(value)) throw new Error(t('usage.lang', { value }));
  chosen = value as Language;
}

/**
 * Removes `--lang X` (or `--lang=X`) from `args`, before the first `--` alone, sets the language
 * from it, and returns the rest: for commands that pass their other arguments on (npm run lesson).
 */
export function takeLanguage(args: string[]): string[] {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg === '--lang') value = args[++i] ?? '';
    else if (arg.startsWith('--lang=')) value = arg.slice('--lang='.length);
    else rest.push(arg);
  }
  setLanguage(value);
  return rest;
}

/** `--lang X` to pass on to a command started by this one, when the user gave it. */
export function languageArgs(): string[] {
  return chosen ? ['--lang', chosen] : [];
}

type Key = keyof typeof messages;
type Params<K extends Key> = (typeof messages)[K]['en'] extends (params: infer P) => string ? [params: P] : [];

/** The message `key` in the current language, filled with its values. */
export function t<K extends Key>(key: K, ...params: Params<K>): string {
  const entry = (messages as Catalogue)[key]![language()];
  return typeof entry === 'function' ? entry(params[0] as never) : entry;
}

/** The lesson with its title, summaries, hints and exercise in the current language (English when it has no such block). */
export function localizedLesson(lesson: Lesson): Lesson {
  const zh = lesson['zh-CN'];
  if (language() !== 'zh' || !zh) return lesson;
  return {
    ...lesson,
    title: zh.title,
    summary: zh.summary,
    programs: lesson.programs.map((program) => {
      const text = zh.programs[program.role];
      return text ? { ...program, summary: text.summary, ...(text.hint ? { hint: text.hint } : {}) } : program;
    }),
    exercise: { ...lesson.exercise, ...zh.exercise },
  };
}

/** The course with every good lesson localized (the broken ones have no text to show). */
export function localizedCourse(course: Course): Course {
  return { ...course, lessons: course.lessons.map(localizedLesson) };
}
