/**
 * The Lua scripts of the Redis backend (redis-backend.ts). Each runs atomically inside Redis,
 * so conditions are checked and writes applied with no other client in between, whichever
 * anykv process sends them. The keys they touch are all passed in KEYS and share one hash tag
 * (see redis-keys.ts), so the scripts also run on Redis Cluster, in one slot.
 */

/**
 * One conditional atomic batch.
 * KEYS: counter, index, log, then one record key per op, then one per condition.
 * ARGV: op count, condition count, "1" when a change entry follows (else "0"),
 *       then per op: "p" or "d", the key (the index member), the encoded record ("" for "d"),
 *       then per condition: the expected revision, or "" for "must not exist",
 *       then the change entry when there is one.
 * Returns the new revision, or "CONFLICT <n> <current>" for the first failing condition n
 * (1-based; current is "" when the key is absent), having written nothing.
 */
export const WRITE_SCRIPT = `
local nops = tonumber(ARGV[1])
local nconds = tonumber(ARGV[2])
local at = 4 + nops * 3
for i = 1, nconds do
  local want = ARGV[at + i - 1]
  local current = redis.call('HGET', KEYS[3 + nops + i], 'r')
  if (want == '' and current) or (want ~= '' and current ~= want) then
    return 'CONFLICT ' .. i .. ' ' .. (current or '')
  end
end
local revision = redis.call('INCR', KEYS[1])
at = 4
for i = 1, nops do
  if ARGV[at] == 'p' then
    redis.call('HSET', KEYS[3 + i], 'r', revision, 'b', ARGV[at + 2])
    redis.call('ZADD', KEYS[2], 0, ARGV[at + 1])
  else
    redis.call('DEL', KEYS[3 + i])
    redis.call('ZREM', KEYS[2], ARGV[at + 1])
  end
  at = at + 3
end
if ARGV[3] == '1' then
  redis.call('XADD', KEYS[3], revision .. '-0', 'c', ARGV[#ARGV])
end
return revision
`;

/**
 * Moves the compaction point up to ARGV[1] (never down, never past the latest revision) and
 * drops the log entries at or below it. KEYS: compaction point, counter, log.
 */
export const COMPACT_SCRIPT = `
local point = tonumber(redis.call('GET', KEYS[1]) or '0')
local latest = tonumber(redis.call('GET', KEYS[2]) or '0')
local upto = math.min(tonumber(ARGV[1]), latest)
if upto > point then
  redis.call('SET', KEYS[1], upto)
  redis.call('XTRIM', KEYS[3], 'MINID', (upto + 1) .. '-0')
end
return math.max(upto, point)
`;

/**
 * Reads the records KEYS (hashes): per key its revision and encoded record, flat; false (nil)
 * for an absent key. One command for a whole getMany or scan page, not one per key.
 */
export const READ_SCRIPT = `
local out = {}
for i = 1, #KEYS do
  local fields = redis.call('HMGET', KEYS[i], 'r', 'b')
  out[2 * i - 1] = fields[1]
  out[2 * i] = fields[2]
end
return out
`;

/** Takes the lease KEYS[1] for holder ARGV[1] for ARGV[2] ms, or renews it; 0 while another holds it. */
export const LEASE_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

/** Gives up the lease KEYS[1] when holder ARGV[1] has it. */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;
