/**
 * A tiny arithmetic language for derived KPI formulas: numbers, identifiers, + - * / and parentheses.
 * `null` propagates: any operation with a null input, or a division by zero, yields null.
 */
type Token = { kind: "number"; value: number } | { kind: "name"; value: string } | { kind: "op"; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/()]))\s*/y;
  let index = 0;
  while (index < expression.length) {
    pattern.lastIndex = index;
    const found = pattern.exec(expression);
    if (!found) throw new Error(`formula ${JSON.stringify(expression)}: unexpected character at ${index}`);
    if (found[1] !== undefined) tokens.push({ kind: "number", value: Number(found[1]) });
    else if (found[2] !== undefined) tokens.push({ kind: "name", value: found[2] });
    else tokens.push({ kind: "op", value: found[3] as string });
    index = pattern.lastIndex;
  }
  return tokens;
}

/** Names of the inputs an expression refers to, in order of first use. */
export function expressionInputs(expression: string): string[] {
  return [...new Set(tokenize(expression).flatMap((token) => (token.kind === "name" ? [token.value] : [])))];
}

/** Evaluates an expression over named inputs. Throws when an input is missing from `inputs`. */
export function evaluateExpression(expression: string, inputs: Readonly<Record<string, number | null>>): number | null {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const binary = (left: number | null, op: string, right: number | null): number | null => {
    if (left === null || right === null) return null;
    if (op === "+") return left + right;
    if (op === "-") return left - right;
    if (op === "*") return left * right;
    return right === 0 ? null : left / right;
  };
  function primary(): number | null {
    const token = tokens[position++];
    if (!token) throw new Error(`formula ${JSON.stringify(expression)}: ends too early`);
    if (token.kind === "number") return token.value;
    if (token.kind === "name") {
      if (!(token.value in inputs)) throw new Error(`formula ${JSON.stringify(expression)}: unknown input ${token.value}`);
      return inputs[token.value] ?? null;
    }
    if (token.value === "(") {
      const value = sum();
      if (tokens[position++]?.value !== ")") throw new Error(`formula ${JSON.stringify(expression)}: missing )`);
      return value;
    }
    if (token.value === "-") {
      const value = primary();
      return value === null ? null : -value;
    }
    throw new Error(`formula ${JSON.stringify(expression)}: unexpected ${token.value}`);
  }
  function product(): number | null {
    let value = primary();
    while (peek()?.kind === "op" && (peek()?.value === "*" || peek()?.value === "/")) {
      const op = (tokens[position++] as Token).value as string;
      value = binary(value, op, primary());
    }
    return value;
  }
  function sum(): number | null {
    let value = product();
    while (peek()?.kind === "op" && (peek()?.value === "+" || peek()?.value === "-")) {
      const op = (tokens[position++] as Token).value as string;
      value = binary(value, op, product());
    }
    return value;
  }
  const result = sum();
  if (position !== tokens.length)
    throw new Error(`formula ${JSON.stringify(expression)}: unexpected ${String(tokens[position]?.value)}`);
  return result;
}
