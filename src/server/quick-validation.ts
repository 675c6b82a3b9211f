import {
  type DescField,
  type DescMessage,
  type DescOneof,
  getOption,
  hasOption,
  isFieldSet,
  type Message,
} from "@bufbuild/protobuf";
import { type Duration, FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import {
  BoolRulesSchema,
  DurationRulesSchema,
  EnumRulesSchema,
  type FieldRules,
  FieldRulesSchema,
  field as fieldRulesOption,
  Int64RulesSchema,
  message as messageRulesOption,
  OneofRulesSchema,
  oneof as oneofRulesOption,
  RepeatedRulesSchema,
  StringRulesSchema,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** True when the message certainly meets its rules; false when protovalidate must judge it. */
export type QuickCheck = (message: Message) => boolean;

/**
 * A check that passes the valid requests of anykv's API without protovalidate, compiled from the
 * same buf.validate annotations protovalidate reads. protovalidate walks every message through
 * reflection, cursors and field paths: about a tenth of the CPU of a Put's handler chain, and more
 * of a Get's (bench/README.md, fifteenth pass), while this reads the fields and allocates nothing.
 *
 * It only ever answers "certainly valid": whatever it is unsure of (a rule kind it does not
 * know, a string near a length bound in a way that needs counting, a pattern over non-ASCII
 * text) answers false, and the caller asks protovalidate, which also words every violation. So
 * the rules stay protovalidate's; test/server/quick-validation.test.ts checks on random messages
 * of every request type that it never passes one protovalidate refuses.
 *
 * Rules it knows: string min_len, max_len, max_bytes and pattern (ASCII values only, with the
 * pattern compiled as a JavaScript RegExp when it uses RE2's and JavaScript's common subset);
 * int64 gt and gte; enum defined_only; bool const; duration gte and gt; repeated items; required
 * message fields; required oneofs. A message type with any other rule (CEL included) is always
 * left to protovalidate.
 */
export function compileQuickCheck(desc: DescMessage): QuickCheck {
  return compile(desc, new Map());
}

const PASS: QuickCheck = () => true;
const REFER: QuickCheck = () => false;

type ValueCheck = (value: unknown) => boolean;

function compile(desc: DescMessage, seen: Map<DescMessage, QuickCheck>): QuickCheck {
  const known = seen.get(desc);
  if (known) return known;
  // A recursive type reaches itself through this placeholder until its check is built.
  let built: QuickCheck = REFER;
  seen.set(desc, (message) => built(message));
  built = build(desc, seen);
  seen.set(desc, built);
  return built;
}

function build(desc: DescMessage, seen: Map<DescMessage, QuickCheck>): QuickCheck {
  if (!hasRules(desc, new Set())) return PASS;
  if (hasOption(desc, messageRulesOption)) return REFER;
  const checks: QuickCheck[] = [];
  for (const oneof of desc.oneofs) {
    if (!hasOption(oneof, oneofRulesOption)) continue;
    const rules = getOption(oneof, oneofRulesOption);
    if (!onlySet(rules, ["required"])) return REFER;
    if (rules.required) checks.push(oneofSet(oneof));
  }
  for (const field of desc.fields) {
    const check = fieldCheck(field, seen);
    if (check === REFER) return REFER;
    if (check !== PASS) checks.push(check);
  }
  return (message) => {
    for (const check of checks) if (!check(message)) return false;
    return true;
  };
}

/** Whether the type or a message it holds (at any depth) declares a rule. */
function hasRules(desc: DescMessage, visiting: Set<DescMessage>): boolean {
  if (visiting.has(desc)) return false;
  visiting.add(desc);
  if (hasOption(desc, messageRulesOption)) return true;
  if (desc.oneofs.some((oneof) => hasOption(oneof, oneofRulesOption))) return true;
  for (const field of desc.fields) {
    if (hasOption(field, fieldRulesOption)) return true;
    const nested = field.message;
    if (nested && hasRules(nested, visiting)) return true;
  }
  return false;
}

function fieldCheck(field: DescField, seen: Map<DescMessage, QuickCheck>): QuickCheck {
  // proto2's required label and editions' LEGACY_REQUIRED: protovalidate may check them.
  if (field.presence === FeatureSet_FieldPresence.LEGACY_REQUIRED) return REFER;
  const rules = hasOption(field, fieldRulesOption) ? getOption(field, fieldRulesOption) : undefined;
  if (rules && !onlySet(rules, ["required", "string", "int64", "enum", "bool", "duration", "repeated"]))
    return REFER;
  const read = reader(field);
  switch (field.fieldKind) {
    case "map": {
      if (rules) return REFER;
      const values = field.mapKind === "message" ? compile(field.message, seen) : PASS;
      if (values === PASS) return PASS;
      if (values === REFER) return REFER;
      return (message) => {
        for (const value of Object.values(read(message) as Record<string, Message>))
          if (!values(value)) return false;
        return true;
      };
    }
    case "list": {
      if (rules?.required) return REFER;
      let item: ValueCheck = () => true;
      if (rules) {
        if (rules.type.case !== "repeated") return REFER;
        const repeated = rules.type.value;
        if (!onlySet(repeated, ["items"])) return REFER;
        if (repeated.items) {
          if (field.listKind !== "scalar" && field.listKind !== "enum") return REFER;
          const items = itemCheck(field, repeated.items);
          if (!items) return REFER;
          item = items;
        }
      }
      const nested = field.listKind === "message" ? compile(field.message, seen) : PASS;
      if (nested === REFER) return REFER;
      if (!rules && nested === PASS) return PASS;
      return (message) => {
        for (const value of read(message) as unknown[])
          if (!item(value) || (nested !== PASS && !nested(value as Message))) return false;
        return true;
      };
    }
    default: {
      const nested = field.fieldKind === "message" ? compile(field.message, seen) : PASS;
      if (nested === REFER) return REFER;
      let value: ValueCheck | undefined;
      if (rules && rules.type.case !== undefined) {
        value = itemCheck(field, rules);
        if (!value) return REFER;
      }
      const required = rules?.required === true;
      // Only a message field's `required` is known here (for a scalar it means "not the zero value").
      if (required && field.fieldKind !== "message") return REFER;
      if (!value && !required && nested === PASS) return PASS;
      // A scalar without presence is judged whatever its value, as protovalidate does; a field
      // with presence (a message, a oneof member, proto3 optional) only when it is set.
      const always =
        field.fieldKind !== "message" &&
        field.oneof === undefined &&
        field.presence !== FeatureSet_FieldPresence.EXPLICIT;
      return (message) => {
        const v = read(message);
        // Unset: fine unless required. (A scalar without presence always has a value; one that
        // does not is no message protobuf-es made, and protovalidate judges it.)
        if (v === undefined) return !required && !always;
        if (value && !value(v)) return false;
        return nested === PASS || nested(v as Message);
      };
    }
  }
}

/** The field's value in a message, or undefined when its oneof holds another member. */
function reader(field: DescField): (message: Message) => unknown {
  const name = field.localName;
  const oneof = field.oneof;
  if (!oneof) return (message) => (message as unknown as Record<string, unknown>)[name];
  const group = oneof.localName;
  return (message) => {
    const selected = (message as unknown as Record<string, { case?: string; value?: unknown }>)[group];
    return selected?.case === name ? selected.value : undefined;
  };
}

function oneofSet(oneof: DescOneof): QuickCheck {
  const group = oneof.localName;
  return (message) => (message as unknown as Record<string, { case?: string }>)[group]?.case !== undefined;
}

/** The check of one value under a field's type rules (a list's items too); undefined: unknown rules. */
function itemCheck(field: DescField, rules: FieldRules): ValueCheck | undefined {
  if (
    rules.required ||
    rules.ignore !== 0 ||
    !onlySet(rules, ["string", "int64", "enum", "bool", "duration"])
  )
    return undefined;
  const { type } = rules;
  switch (type.case) {
    case "string": {
      const r = type.value;
      if (!onlySet(r, ["minLen", "maxLen", "maxBytes", "pattern"])) return undefined;
      const min = isFieldSet(r, StringRulesSchema.field.minLen) ? Number(r.minLen) : undefined;
      const max = isFieldSet(r, StringRulesSchema.field.maxLen) ? Number(r.maxLen) : undefined;
      const maxBytes = isFieldSet(r, StringRulesSchema.field.maxBytes) ? Number(r.maxBytes) : undefined;
      let pattern: RegExp | undefined;
      if (isFieldSet(r, StringRulesSchema.field.pattern)) {
        pattern = commonRegExp(r.pattern);
        if (!pattern) return undefined;
      }
      return (value) => typeof value === "string" && stringHolds(value, min, max, maxBytes, pattern);
    }
    case "int64": {
      const r = type.value;
      if (!onlySet(r, ["gt", "gte"])) return undefined;
      const bound = r.greaterThan;
      if (bound.case === undefined) return undefined;
      const limit = bound.value;
      return bound.case === "gt"
        ? (value) => typeof value === "bigint" && value > limit
        : (value) => typeof value === "bigint" && value >= limit;
    }
    case "enum": {
      if (!onlySet(type.value, ["definedOnly"]) || !type.value.definedOnly || !field.enum) return undefined;
      const defined = new Set(field.enum.values.map((v) => v.number));
      return (value) => defined.has(value as number);
    }
    case "bool": {
      if (!onlySet(type.value, ["const"])) return undefined;
      const expected = type.value.const;
      return (value) => value === expected;
    }
    case "duration": {
      const r = type.value;
      if (!onlySet(r, ["gt", "gte"])) return undefined;
      const bound = r.greaterThan;
      if (bound.case !== "gt" && bound.case !== "gte") return undefined;
      const limit = bound.value;
      if (!normalDuration(limit)) return undefined;
      const strict = bound.case === "gt";
      return (value) => {
        const d = value as Duration;
        if (!normalDuration(d)) return false;
        if (d.seconds !== limit.seconds) return d.seconds > limit.seconds;
        return strict ? d.nanos > limit.nanos : d.nanos >= limit.nanos;
      };
    }
    default:
      return undefined;
  }
}

/**
 * A Duration protobuf calls valid that protovalidate compares as it is: nanos of the seconds'
 * sign, within protobuf's ±10,000 years. Any other one is left to protovalidate.
 */
function normalDuration(d: Duration | undefined): d is Duration {
  if (!d || typeof d.seconds !== "bigint") return false;
  if (d.nanos <= -1e9 || d.nanos >= 1e9 || !Number.isInteger(d.nanos)) return false;
  if ((d.seconds > 0n && d.nanos < 0) || (d.seconds < 0n && d.nanos > 0)) return false;
  return d.seconds <= MAX_DURATION_SECONDS && d.seconds >= -MAX_DURATION_SECONDS;
}
const MAX_DURATION_SECONDS = 315_576_000_000n;

/**
 * A string's length rules, in code points (min_len, max_len) and UTF-8 bytes (max_bytes), as
 * protovalidate counts them; UTF-16 units bound both (a code point is one or two units, and one to
 * three bytes per unit), so most strings are judged by their length alone.
 */
function stringHolds(
  value: string,
  min: number | undefined,
  max: number | undefined,
  maxBytes: number | undefined,
  pattern: RegExp | undefined,
): boolean {
  const units = value.length;
  if (min !== undefined && units < 2 * min && codePoints(value) < min) return false;
  if (max !== undefined && units > max && codePoints(value) > max) return false;
  if (maxBytes !== undefined && units * 3 > maxBytes && Buffer.byteLength(value) > maxBytes) return false;
  // Over ASCII the two engines agree on the common subset; anything else is protovalidate's.
  return pattern === undefined || (ASCII.test(value) && pattern.test(value));
}

function codePoints(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A surrogate pair is one code point; a lone surrogate counts as one, as in a for-of.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

const ASCII = /^[\x20-\x7e]*$/;

/**
 * The RE2 pattern as a JavaScript RegExp, when it uses only what the two read the same way on
 * printable ASCII: literals, `.`, anchors, groups, alternation, classes of literals and ranges, and
 * the quantifiers `?`, `*`, `+` and `{n,m}`. Undefined for anything else.
 */
function commonRegExp(pattern: string): RegExp | undefined {
  if (!/^(?:[A-Za-z0-9 _\-.,:/@#%&=~'"<>!^$|()*+?{}[\]]|\\[.\-/\\^$|()*+?{}[\]])*$/.test(pattern))
    return undefined;
  if (/\(\?|\[\^?\]|\[:/.test(pattern)) return undefined; // flags, lookaround, named groups, [] and [^], POSIX classes
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

/** Whether the rules message sets only the named fields (no others, no unknown or extension rules). */
function onlySet(rules: Message, allowed: readonly string[]): boolean {
  if (rules.$unknown && rules.$unknown.length > 0) return false;
  const schema = SCHEMAS[rules.$typeName];
  if (!schema) return false;
  for (const field of schema.fields)
    if (!allowed.includes(field.localName) && field.localName !== "example" && isFieldSet(rules, field))
      return false;
  return true;
}

const SCHEMAS: Record<string, DescMessage> = Object.fromEntries(
  [
    FieldRulesSchema,
    StringRulesSchema,
    Int64RulesSchema,
    EnumRulesSchema,
    BoolRulesSchema,
    DurationRulesSchema,
    RepeatedRulesSchema,
    OneofRulesSchema,
  ].map((schema) => [schema.typeName, schema]),
);
