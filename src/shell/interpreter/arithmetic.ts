/**
 * Shell arithmetic (`$(( ))`, `(( ))`, `let`, array indices): 64-bit signed
 * integers that wrap as bash's do, C's operators and precedence, variables
 * by name (their values evaluated as expressions in turn), and assignment.
 */

/** A name's value and how to set it: the shell's variables as arithmetic sees them. */
export interface ArithmeticVariables {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

export class ArithmeticError extends Error {
  override readonly name = 'ArithmeticError';
}

const wrap = (value: bigint): bigint => BigInt.asIntN(64, value);

/** How deep names may refer to expressions that name others (`a=b; b=a`), as bash's limit. */
const maxRecursion = 1024;

const binaryPrecedence: Readonly<Record<string, number>> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
  '**': 11,
};

const assignmentOperators = ['<<=', '>>=', '**=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '='];
const tokenPattern =
  /\s*(0[xX][0-9a-fA-F]+|[0-9]+#[0-9a-zA-Z@_]+|[0-9]+|[A-Za-z_][A-Za-z0-9_]*|\*\*=|<<=|>>=|\+\+|--|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|[-+*/%<>=!~&|^?:(),])/y;

/** Evaluates the arithmetic TEXT; throws {@link ArithmeticError} for bad syntax or division by zero. */
export function evaluateArithmetic(text: string, variables: ArithmeticVariables, depth = 0): bigint {
  if (depth > maxRecursion) throw new ArithmeticError('expression recursion level exceeded');
  const tokens: string[] = [];
  const positions: number[] = [];
  tokenPattern.lastIndex = 0;
  let position = 0;
  for (;;) {
    const rest = text.slice(position);
    if (rest.trim() === '') break;
    tokenPattern.lastIndex = position;
    const match = tokenPattern.exec(text);
    if (match === null) throw new ArithmeticError(`syntax error: invalid arithmetic operator (error token is "${rest.trim()}")`);
    tokens.push(match[1]!);
    positions.push(tokenPattern.lastIndex - match[1]!.length);
    position = tokenPattern.lastIndex;
  }
  if (tokens.length === 0) return 0n;
  return new Evaluator(tokens, positions, text, variables, depth).whole();
}

/** A value that may be assigned: a variable's name, or a number. */
interface Operand {
  readonly value: bigint;
  readonly name?: string;
}

class Evaluator {
  private index = 0;
  /** While > 0, the evaluation has no effects: the branch not taken of `?:`, `&&`, `||`. */
  private skipping = 0;

  constructor(
    private readonly tokens: readonly string[],
    /** Where each token starts in the text, for bash's "error token is …": the text from there on. */
    private readonly positions: readonly number[],
    private readonly text: string,
    private readonly variables: ArithmeticVariables,
    private readonly depth: number,
  ) {}

  whole(): bigint {
    const value = this.comma();
    if (this.index < this.tokens.length) throw this.error('syntax error in expression', this.index);
    return value;
  }

  /** MESSAGE with bash's `(error token is "…")`: the text from token AT on. */
  private error(message: string, at: number): ArithmeticError {
    const from = this.positions[at];
    return new ArithmeticError(`${message} (error token is "${from === undefined ? '' : this.text.slice(from).trim()}")`);
  }

  private peek(): string | undefined {
    return this.tokens[this.index];
  }

  private take(expected?: string): string {
    const token = this.tokens[this.index];
    if (token === undefined || (expected !== undefined && token !== expected)) {
      throw this.error(`syntax error: ${expected === undefined ? 'operand expected' : `'${expected}' expected`}`, this.index);
    }
    this.index++;
    return token;
  }

  private comma(): bigint {
    let value = this.assignment();
    while (this.peek() === ',') {
      this.index++;
      value = this.assignment();
    }
    return value;
  }

  private assignment(): bigint {
    const name = this.tokens[this.index];
    const op = this.tokens[this.index + 1];
    if (name !== undefined && /^[A-Za-z_]/.test(name) && op !== undefined && assignmentOperators.includes(op)) {
      this.index += 2;
      const right = this.assignment();
      const value = op === '=' ? right : this.apply(op.slice(0, -1), this.variable(name), right);
      return this.store(name, value);
    }
    return this.conditional();
  }

  private conditional(): bigint {
    const test = this.binary(1);
    if (this.peek() !== '?') return test;
    this.index++;
    const yes = this.branch(test !== 0n, () => this.assignment());
    this.take(':');
    const no = this.branch(test === 0n, () => this.assignment());
    return test !== 0n ? yes : no;
  }

  /** Evaluates BODY with effects only when TAKEN. */
  private branch(taken: boolean, body: () => bigint): bigint {
    if (!taken) this.skipping++;
    try {
      return body();
    } finally {
      if (!taken) this.skipping--;
    }
  }

  private binary(minimum: number): bigint {
    let left = this.unary();
    for (;;) {
      const op = this.peek();
      const precedence = op === undefined ? undefined : binaryPrecedence[op];
      if (precedence === undefined || precedence < minimum) return left;
      this.index++;
      if (op === '&&' || op === '||') {
        const decided = op === '&&' ? left === 0n : left !== 0n;
        const right = this.branch(!decided, () => this.binary(precedence + 1));
        left = decided ? (op === '||' ? 1n : 0n) : right !== 0n ? 1n : 0n;
        continue;
      }
      // `**` is right-associative; every other operator binds to the left.
      let operand = this.index;
      while (this.tokens[operand] === '-' || this.tokens[operand] === '+') operand++;
      const right = this.binary(op === '**' ? precedence : precedence + 1);
      left = this.apply(op!, left, right, operand);
    }
  }

  /** LEFT OP RIGHT; OPERAND is where RIGHT was written (for an error). */
  private apply(op: string, left: bigint, right: bigint, operand = this.index): bigint {
    switch (op) {
      case '+':
        return wrap(left + right);
      case '-':
        return wrap(left - right);
      case '*':
        return wrap(left * right);
      case '/':
      case '%':
        if (right === 0n) {
          if (this.skipping > 0) return 0n;
          throw this.error('division by 0', operand);
        }
        // bash traps INT64_MIN / -1; wrapping gives the same value without a crash.
        return wrap(op === '/' ? left / right : left % right);
      case '**':
        if (right < 0n) {
          if (this.skipping > 0) return 0n;
          throw this.error('exponent less than 0', operand);
        }
        return power(left, right);
      case '<<':
        return wrap(left << (right & 63n));
      case '>>':
        return wrap(left >> (right & 63n));
      case '&':
        return left & right;
      case '|':
        return left | right;
      case '^':
        return left ^ right;
      case '==':
        return left === right ? 1n : 0n;
      case '!=':
        return left !== right ? 1n : 0n;
      case '<':
        return left < right ? 1n : 0n;
      case '>':
        return left > right ? 1n : 0n;
      case '<=':
        return left <= right ? 1n : 0n;
      case '>=':
        return left >= right ? 1n : 0n;
      default:
        throw new ArithmeticError(`syntax error: invalid arithmetic operator '${op}'`);
    }
  }

  private unary(): bigint {
    const op = this.peek();
    switch (op) {
      case '+':
        this.index++;
        return this.unary();
      case '-':
        this.index++;
        return wrap(-this.unary());
      case '!':
        this.index++;
        return this.unary() === 0n ? 1n : 0n;
      case '~':
        this.index++;
        return ~this.unary();
      case '++':
      case '--': {
        this.index++;
        const name = this.take();
        if (!/^[A-Za-z_]/.test(name)) throw new ArithmeticError(`syntax error: '${op}' needs a variable (error token is "${name}")`);
        return this.store(name, wrap(this.variable(name) + (op === '++' ? 1n : -1n)));
      }
      default:
        return this.postfix();
    }
  }

  private postfix(): bigint {
    const operand = this.primary();
    const op = this.peek();
    if ((op === '++' || op === '--') && operand.name !== undefined) {
      this.index++;
      this.store(operand.name, wrap(operand.value + (op === '++' ? 1n : -1n)));
    }
    return operand.value;
  }

  private primary(): Operand {
    const at = this.index;
    const token = this.take();
    if (token === '(') {
      const value = this.comma();
      this.take(')');
      return { value };
    }
    if (/^[A-Za-z_]/.test(token)) return { value: this.variable(token), name: token };
    if (!/^[0-9]/.test(token)) throw this.error('syntax error: operand expected', at);
    return { value: parseNumber(token) };
  }

  private variable(name: string): bigint {
    const text = this.variables.get(name);
    if (text === undefined || text.trim() === '') return 0n;
    return evaluateArithmetic(text, this.variables, this.depth + 1);
  }

  private store(name: string, value: bigint): bigint {
    if (this.skipping === 0) this.variables.set(name, value.toString());
    return value;
  }
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let factor = base;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = wrap(result * factor);
    factor = wrap(factor * factor);
  }
  return result;
}

/** A number as bash writes them: decimal, `0x` hex, `0` octal, `BASE#digits`. */
function parseNumber(token: string): bigint {
  if (!/^[0-9]/.test(token)) throw new ArithmeticError(`syntax error: operand expected (error token is "${token}")`);
  let base = 10;
  let digits = token;
  if (/^0[xX]/.test(token)) {
    base = 16;
    digits = token.slice(2);
  } else if (token.includes('#')) {
    [base, digits] = [Number(token.slice(0, token.indexOf('#'))), token.slice(token.indexOf('#') + 1)];
    if (base < 2 || base > 64) throw new ArithmeticError(`invalid arithmetic base (error token is "${token}")`);
  } else if (token.length > 1 && token.startsWith('0')) base = 8;
  let value = 0n;
  for (const char of digits) {
    const digit = digitValue(char, base);
    if (digit === undefined || digit >= base) throw new ArithmeticError(`value too great for base (error token is "${token}")`);
    value = wrap(value * BigInt(base) + BigInt(digit));
  }
  return value;
}

function digitValue(char: string, base: number): number | undefined {
  if (/[0-9]/.test(char)) return Number(char);
  if (/[a-z]/.test(char)) return char.charCodeAt(0) - 87;
  if (/[A-Z]/.test(char)) return base <= 36 ? char.charCodeAt(0) - 55 : char.charCodeAt(0) - 29;
  if (char === '@') return 62;
  if (char === '_') return 63;
  return undefined;
}
