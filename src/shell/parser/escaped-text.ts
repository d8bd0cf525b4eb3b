/**
 * Text built from characters and from escapes that stand for bytes (`\303`,
 * `\xc3`): bash writes such bytes as they are, and the shell's strings are
 * Unicode, so each run of escaped bytes is read as UTF-8 (`\303\251` is
 * `é`, as a terminal shows what bash writes). A run that is not UTF-8
 * becomes U+FFFD, one per bad sequence.
 */
export class EscapedText {
  private text = '';
  private readonly bytes: number[] = [];

  append(chars: string): void {
    this.flush();
    this.text += chars;
  }

  appendByte(byte: number): void {
    this.bytes.push(byte & 0xff);
  }

  toString(): string {
    this.flush();
    return this.text;
  }

  private flush(): void {
    if (this.bytes.length === 0) return;
    this.text += new TextDecoder().decode(Uint8Array.from(this.bytes));
    this.bytes.length = 0;
  }
}
