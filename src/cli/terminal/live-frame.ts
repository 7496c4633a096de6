import { safeText } from './safe-text';

/**
 * Redraws a block of lines in place on a terminal (cursor up, clear to the end), so a live view
 * does not scroll. On a pipe or file, each frame is written out in full when it changed.
 */
export class LiveFrame {
  private drawnLines = 0;
  private last = '';

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  get interactive(): boolean {
    return Boolean(this.out.isTTY);
  }

  draw(frame: string): void {
    const text = safeText(frame);
    if (!this.interactive) {
      if (text !== this.last) this.out.write(`${text}\n\n`);
      this.last = text;
      return;
    }
    const up = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[0J` : '';
    this.out.write(`${up}${text}\n`);
    this.drawnLines = text.split('\n').length;
    this.last = text;
  }

  hideCursor(): void {
    if (this.interactive) this.out.write('\x1b[?25l');
  }

  showCursor(): void {
    if (this.interactive) this.out.write('\x1b[?25h');
  }
}
