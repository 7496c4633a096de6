/**
 * A cell a spreadsheet would run as a formula when the CSV is opened (`=`, `+`, `-`, `@`, a tab or
 * a carriage return first: CSV injection, OWASP) is prefixed with `'`, which spreadsheets read as
 * "this is text". Applied to every cell, phones included (`+5511…` becomes `'+5511…`): a rule with
 * exceptions is how injections slip through. Pure; CSV quoting is the writer's job.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}
