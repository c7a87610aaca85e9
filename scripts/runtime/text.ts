// Text helpers of the runtime, shared by scripts and tests.

/** The source of a RegExp that matches `text` literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
