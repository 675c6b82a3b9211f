import { type Node, parseExpressionAt } from "acorn";
import { ancestor } from "acorn-walk";

/**
 * The source of a function as an expression that evaluates to it, checked
 * so that it can travel: built-in and bound functions have no source, method
 * shorthand is not an expression, and a closure's outer variables do not
 * travel with its source. Free variables are found with a real parser
 * (acorn): every identifier read that is neither declared inside the function
 * nor a JavaScript global. `this` and dynamic scope (`eval`, `with`) are not
 * analysed.
 */
export function functionSource(fn: (...args: unknown[]) => unknown): string {
  const name = fn.name || "the function";
  const source = Function.prototype.toString.call(fn);
  if (source.endsWith("{ [native code] }")) {
    throw new TypeError(`anykv cannot store ${name}: it is built in or bound, so it has no source to send`);
  }
  let expression: Node | undefined;
  try {
    expression = parseExpressionAt(source, 0, { ecmaVersion: "latest" });
  } catch {
    expression = undefined;
  }
  // parseExpressionAt reads a prefix: `method(x) { … }` parses as the call `method(x)`.
  if (!expression || source.slice(expression.end).trim() !== "") {
    throw new TypeError(
      `anykv cannot store ${name}: its source is not a function expression (method shorthand?); ` +
        "store an arrow function or a function expression",
    );
  }
  const free = freeVariables(expression);
  if (free.length > 0) {
    throw new TypeError(
      `anykv cannot store ${name}: it uses ${free.map((v) => `"${v}"`).join(", ")} from outside its body, ` +
        "and closures do not travel; pass those values as arguments or write them into the function",
    );
  }
  return source;
}

type AnyNode = Node & Record<string, unknown>;

/** acorn's ESTree nodes as plain records, so that one walker reads the fields of every node type. */
const fields = (node: object): AnyNode => node as unknown as AnyNode;

function freeVariables(root: Node): string[] {
  const declared = new Set<string>(["arguments"]);
  const used = new Set<string>();
  const declare = (pattern: unknown) => {
    for (const id of patternNames(pattern)) declared.add(id);
  };
  ancestor(root, {
    Function(node) {
      const fn = fields(node);
      if (fn.id) declare(fn.id);
      for (const param of fn.params as unknown[]) declare(param);
    },
    VariableDeclarator(node) {
      declare(fields(node).id);
    },
    ClassDeclaration(node) {
      declare(fields(node).id);
    },
    ClassExpression(node) {
      const id = fields(node).id;
      if (id) declare(id);
    },
    CatchClause(node) {
      const param = fields(node).param;
      if (param) declare(param);
    },
    ImportExpression() {
      used.add("import()");
    },
    Identifier(node, _state, ancestors) {
      const above = ancestors[ancestors.length - 2];
      const parent = above && fields(above);
      if (parent && !isReference(node, parent)) return;
      used.add(fields(node).name as string);
    },
  });
  return [...used].filter((name) => !declared.has(name) && !(name in globalThis));
}

/** Whether an Identifier is a variable read, not a property name, label or key. */
function isReference(node: Node, parent: AnyNode): boolean {
  switch (parent.type) {
    case "MemberExpression":
      return parent.object === node || parent.computed === true;
    case "Property":
    case "PropertyDefinition":
    case "MethodDefinition":
      return parent.value === node || (parent.computed === true && parent.key === node);
    case "LabeledStatement":
    case "BreakStatement":
    case "ContinueStatement":
      return false;
    case "MetaProperty":
      return false;
    default:
      return true;
  }
}

/** The names a binding pattern declares. */
function patternNames(pattern: unknown): string[] {
  const p = pattern as AnyNode | null;
  if (!p) return [];
  switch (p.type) {
    case "Identifier":
      return [p.name as string];
    case "ObjectPattern":
      return (p.properties as AnyNode[]).flatMap((prop) =>
        patternNames(prop.type === "RestElement" ? prop.argument : prop.value),
      );
    case "ArrayPattern":
      return (p.elements as unknown[]).flatMap(patternNames);
    case "RestElement":
      return patternNames(p.argument);
    case "AssignmentPattern":
      return patternNames(p.left);
    default:
      return [];
  }
}
