/**
 * Python ints in LONG1/LONG4: little-endian two's complement, as short as
 * possible (CPython's encode_long/decode_long). Hex strings carry the bigint
 * conversion because BigInt has no byte-array constructor and hex is linear,
 * where decimal conversion of a huge int is not.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The shortest two's complement little-endian bytes of `x`; zero is empty. */
export function encodeLong(x: bigint): Uint8Array {
  if (x === 0n) return new Uint8Array(0);
  const magnitude = x < 0n ? -x : x;
  const magnitudeHex = magnitude.toString(16);
  const bitLength =
    (magnitudeHex.length - 1) * 4 + Number.parseInt(magnitudeHex[0] ?? "0", 16).toString(2).length;
  let size = (bitLength >> 3) + 1;
  const wrapped = x < 0n ? (1n << BigInt(size * 8)) + x : x;
  const hex = wrapped.toString(16).padStart(size * 2, "0");
  // CPython drops one redundant sign byte for negative numbers whose top
  // byte is 0xff over a byte that already has the sign bit set (-128 → 0x80).
  if (x < 0n && size > 1 && hex.startsWith("ff") && Number.parseInt(hex.slice(2, 4), 16) >= 0x80) size -= 1;
  const out = new Uint8Array(size);
  const end = hex.length;
  for (let i = 0; i < size; i += 1) out[i] = Number.parseInt(hex.slice(end - 2 * i - 2, end - 2 * i), 16);
  return out;
}

/** The int that little-endian two's complement `bytes` spell; empty is zero. */
export function decodeLong(bytes: Uint8Array): bigint {
  const n = bytes.length;
  if (n === 0) return 0n;
  if (n <= 6) {
    // Fits a double exactly: skip the string round trip for the common case.
    let v = 0;
    for (let i = n - 1; i >= 0; i -= 1) v = v * 256 + (bytes[i] ?? 0);
    if ((bytes[n - 1] ?? 0) & 0x80) v -= 2 ** (8 * n);
    return BigInt(v);
  }
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i += 1) parts[i] = HEX[bytes[n - 1 - i] ?? 0] ?? "00";
  const unsigned = BigInt(`0x${parts.join("")}`);
  return (bytes[n - 1] ?? 0) & 0x80 ? unsigned - (1n << BigInt(8 * n)) : unsigned;
}
