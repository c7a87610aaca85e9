/** The JavaScript for the TypeScript source `source` of the file `file` (cached by content). */
export function transpile(source: string, file: string): string;
/** transpile() for a file on disk. */
export function transpileFile(file: string): string;
