import { escapeControlCharacters } from '../../domain/text/control-characters';

/**
 * What the command line prints goes through here: every line has its control characters escaped
 * (`\u001b`), so a name stored before names refused them, an event payload or an error message
 * cannot drive the operator's terminal. Line breaks between lines are the printer's own and kept;
 * JSON stays JSON (the escape is JSON's).
 */
export function safeText(text: string): string {
  return text.split('\n').map(escapeControlCharacters).join('\n');
}

/** console.log for the command line: the text made safe first. */
export function print(text: string): void {
  process.stdout.write(`${safeText(text)}\n`);
}

/** console.error for the command line: the text made safe first. */
export function printError(text: string): void {
  process.stderr.write(`${safeText(text)}\n`);
}
