import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;

/**
 * Passes a text stream through line by line, holding at most `maxLineBytes` of the current line:
 * a line longer than that is dropped whole (an empty line takes its place, so the line numbers
 * after it stay right) and its number handed to `onLongLine`. A CSV parser told to skip records
 * over a size resumes in the middle of the long cell and reports every slice of it as a broken
 * row; here one long line is one rejected row.
 */
export class LongLineGuard extends Transform {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private skipping = false;
  private line = 1;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLongLine: (line: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end < 0) {
        this.hold(chunk.subarray(start));
        break;
      }
      this.hold(chunk.subarray(start, end + 1));
      this.endLine();
      start = end + 1;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.skipping || this.heldBytes > 0) this.endLine();
    done();
  }

  private hold(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    if (this.heldBytes + part.length > this.maxLineBytes + 2) {
      // +2: the line's own "\r\n" is not part of its content.
      this.skipping = true;
      this.held = [];
      this.heldBytes = 0;
      this.onLongLine(this.line);
      return;
    }
    this.held.push(part);
    this.heldBytes += part.length;
  }

  private endLine(): void {
    if (this.skipping) this.push(Buffer.from('\n'));
    else if (this.heldBytes > 0) this.push(Buffer.concat(this.held, this.heldBytes));
    this.held = [];
    this.heldBytes = 0;
    this.skipping = false;
    this.line++;
  }
}
