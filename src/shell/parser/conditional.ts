import type { TestExpression, Word } from '../ast.js';
import { isMetacharacter, type Scanner } from './scanner.js';
import type { WordReader } from './words.js';

const unaryOperators = new Set([
  '-a',
  '-b',
  '-c',
  '-d',
  '-e',
  '-f',
  '-g',
  '-h',
  '-k',
  '-p',
  '-r',
  '-s',
  '-t',
  '-u',
  '-w',
  '-x',
  '-G',
  '-L',
  '-N',
  '-O',
  '-S',
  '-z',
  '-n',
  '-o',
  '-v',
  '-R',
]);
const binaryOperators = new Set(['=', '==', '!=', '=~', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-nt', '-ot', '-ef']);

/** The text of WORD when it is one unquoted literal (how operators are written), else undefined. */
function bareText(word: Word): string | undefined {
  const [only, ...rest] = word.parts;
  return only?.type === 'Literal' && rest.length === 0 ? only.value : undefined;
}

/**
 * The expression of `[[ … ]]` (bash), after its `[[`, up to and over its
 * `]]`. Words in it are not split or globbed; `<` and `>` compare strings.
 */
export function parseConditional(scanner: Scanner, words: WordReader): TestExpression {
  const atClose = () => scanner.startsWith(']]') && isMetacharacter(scanner.peek(2));
  const next = () => scanner.skipLinebreaks();

  const word = (): Word => {
    next();
    const found = atClose() ? undefined : words.word();
    if (found === undefined) throw scanner.unexpected();
    return found;
  };

  const primary = (): TestExpression => scanner.nested(primaryHere);

  const primaryHere = (): TestExpression => {
    next();
    if (scanner.peek() === '(') {
      scanner.pos++;
      const inner = or();
      next();
      if (scanner.peek() !== ')') throw scanner.unexpected();
      scanner.pos++;
      return inner;
    }
    const first = word();
    const firstText = bareText(first);
    if (firstText === '!') return { type: 'TestNot', operand: primary() };
    next();
    const ended = atClose() || scanner.startsWith('&&') || scanner.startsWith('||') || scanner.peek() === ')';
    if (firstText !== undefined && unaryOperators.has(firstText) && !ended) {
      const before = scanner.pos;
      const operand = word();
      const operandText = bareText(operand);
      if (operandText === undefined || !binaryOperators.has(operandText)) return { type: 'TestUnary', operator: firstText, operand };
      scanner.pos = before;
    }
    if (ended) return { type: 'TestWord', word: first };
    const char = scanner.peek();
    if (char === '<' || char === '>') {
      scanner.pos++;
      return { type: 'TestBinary', operator: char, left: first, right: word() };
    }
    const operator = bareText(word());
    if (operator === undefined || !binaryOperators.has(operator)) {
      throw scanner.error(`conditional binary operator expected in [[ ]], found '${operator ?? 'a quoted word'}'`);
    }
    if (operator !== '=~') return { type: 'TestBinary', operator, left: first, right: word() };
    next();
    const regex = words.regex();
    if (regex === undefined) throw scanner.unexpected();
    return { type: 'TestBinary', operator, left: first, right: regex };
  };

  const and = (): TestExpression => {
    let left = primary();
    for (next(); scanner.startsWith('&&'); next()) {
      scanner.pos += 2;
      left = { type: 'TestAnd', left, right: primary() };
    }
    return left;
  };

  const or = (): TestExpression => {
    let left = and();
    for (next(); scanner.startsWith('||'); next()) {
      scanner.pos += 2;
      left = { type: 'TestOr', left, right: and() };
    }
    return left;
  };

  const expression = or();
  next();
  if (!atClose()) throw scanner.unexpected();
  scanner.pos += 2;
  return expression;
}
