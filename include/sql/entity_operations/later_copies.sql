-- The later copies (every staged copy but the first delivered, lowest _seq) of ids staged more
-- than once in this run, each with its id's first _seq: the dedupe drops them next
-- (dedupe.sql); before that the load compares each with the first copy (entity/conflicts.py),
-- and one with different content is quarantined as a conflicting duplicate. Only repeated ids
-- come out of the GROUP BY, so only their rows are read back and hashed. Same SQL on Redshift.
SELECT later.id, later._seq, first_copy.first_seq
FROM stage_keys later
JOIN (
    SELECT id, MIN(_seq) AS first_seq
    FROM stage_keys
    GROUP BY id
    HAVING COUNT(*) > 1
) first_copy ON first_copy.id = later.id
WHERE later._seq > first_copy.first_seq
ORDER BY later._seq;
