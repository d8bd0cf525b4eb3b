import type { FileStat } from '../../zones/types.js';

/** What a condition needs to see files: their status by path, or undefined when they cannot be seen. */
export type StatPath = (path: string, follow?: boolean) => FileStat | undefined;

/** A `test` or `[[ ]]` operand that is not a valid integer. */
export class ConditionError extends Error {
  override readonly name = 'ConditionError';
}

/** The unary operators `test` and `[[ ]]` share. */
export function unaryTest(operator: string, operand: string, stat: StatPath): boolean {
  switch (operator) {
    case '-n':
      return operand !== '';
    case '-z':
      return operand === '';
    case '-e':
    case '-a':
      return stat(operand) !== undefined;
    case '-f':
      return stat(operand)?.type === 'regular-file';
    case '-d':
      return stat(operand)?.type === 'directory';
    case '-h':
    case '-L':
      return stat(operand, false)?.type === 'symbolic-link';
    case '-s':
      return (stat(operand)?.size ?? 0n) > 0n;
    case '-p':
      return stat(operand)?.type === 'fifo';
    case '-S':
      return stat(operand)?.type === 'socket';
    case '-c':
      return stat(operand)?.type === 'character-device';
    case '-b':
      return stat(operand)?.type === 'block-device';
    // Zones decide access per operation; what can be seen can be read, and writes are checked when they happen.
    case '-r':
    case '-w':
    case '-x':
      return stat(operand) !== undefined;
    case '-t':
      return false;
    default:
      throw new ConditionError(`${operator}: unary operator expected`);
  }
}

const integerPattern = /^\s*[-+]?[0-9]+\s*$/;

function integer(text: string): bigint {
  if (!integerPattern.test(text)) throw new ConditionError(`${text}: integer expression expected`);
  return BigInt(text.trim());
}

/** The binary operators on strings and integers that `test` and `[[ ]]` share (not the pattern ones). */
export function binaryTest(operator: string, left: string, right: string, stat: StatPath): boolean {
  switch (operator) {
    case '=':
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '-eq':
      return integer(left) === integer(right);
    case '-ne':
      return integer(left) !== integer(right);
    case '-lt':
      return integer(left) < integer(right);
    case '-le':
      return integer(left) <= integer(right);
    case '-gt':
      return integer(left) > integer(right);
    case '-ge':
      return integer(left) >= integer(right);
    case '-nt':
    case '-ot': {
      const a = stat(left)?.mtimNs;
      const b = stat(right)?.mtimNs;
      if (operator === '-nt') return a !== undefined && (b === undefined || a > b);
      return b !== undefined && (a === undefined || a < b);
    }
    case '-ef': {
      const a = stat(left);
      const b = stat(right);
      return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
    }
    default:
      throw new ConditionError(`${operator}: binary operator expected`);
  }
}

const unaryOperators = new Set(['-n', '-z', '-e', '-a', '-f', '-d', '-h', '-L', '-s', '-p', '-S', '-c', '-b', '-r', '-w', '-x', '-t']);
const binaryOperators = new Set(['=', '==', '!=', '<', '>', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-nt', '-ot', '-ef']);

/**
 * `test ARGS…` and `[ ARGS… ]`: POSIX's rules by argument count for up to
 * four arguments, then `!`, `-a`, `-o` and parentheses by precedence.
 */
export function evaluateTest(args: readonly string[], stat: StatPath): boolean {
  let index = 0;
  const peek = () => args[index];

  const primary = (): boolean => {
    const left = args.length - index;
    const token = peek();
    if (token === undefined) throw new ConditionError('argument expected');
    if (left >= 3 && binaryOperators.has(args[index + 1]!)) {
      index += 3;
      return binaryTest(args[index - 2]!, token, args[index - 1]!, stat);
    }
    if (token === '(') {
      index++;
      const value = or();
      if (peek() !== ')') throw new ConditionError("')' expected");
      index++;
      return value;
    }
    if (left >= 2 && unaryOperators.has(token)) {
      index += 2;
      return unaryTest(token, args[index - 1]!, stat);
    }
    index++;
    return token !== '';
  };

  const not = (): boolean => {
    if (peek() === '!' && args.length - index > 1) {
      index++;
      return !not();
    }
    return primary();
  };

  const and = (): boolean => {
    let value = not();
    while (peek() === '-a') {
      index++;
      const right = not();
      value = value && right;
    }
    return value;
  };

  const or = (): boolean => {
    let value = and();
    while (peek() === '-o') {
      index++;
      const right = and();
      value = value || right;
    }
    return value;
  };

  if (args.length === 0) return false;
  const value = or();
  if (index < args.length) throw new ConditionError(`${args[index]}: too many arguments`);
  return value;
}
