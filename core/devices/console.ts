/**
 * The console: an output-only serial port collecting bytes.
 * @category Devices
 */

/** Console output buffer. */
export class Console {
  private readonly bytes: number[] = [];
  /** optional live sink (e.g. process.stdout) */
  echo: ((byte: number) => void) | null = null;

  /** Output one byte. */
  put(byte: number): void {
    this.bytes.push(byte & 0xff);
    if (this.echo) this.echo(byte & 0xff);
  }

  /** Everything written so far, as text (latin-1). */
  text(): string {
    let s = '';
    for (const b of this.bytes) s += String.fromCharCode(b);
    return s;
  }

  /** Number of bytes written. */
  get length(): number {
    return this.bytes.length;
  }
}
